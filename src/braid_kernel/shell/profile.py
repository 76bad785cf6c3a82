"""The user's IPython profile, honoured as IPython kernels honour it.

A kernel process reads the default profile's ``ipython_config.py`` and
``ipython_kernel_config.py`` (in ``$IPYTHONDIR/profile_default``) before the
shell is created, so options such as ``InteractiveShell.ast_node_interactivity``
apply, and once the shell exists runs, in IPython's order: the extensions (IPython's
default ``storemagic``, then ``InteractiveShellApp.extensions``), ``matplotlib``,
``exec_lines``, the files in the profile's ``startup/`` folder (``*.py`` and ``*.ipy``,
sorted by name), ``exec_files``, and ``$PYTHONSTARTUP``.  ``IPKernelApp`` settings win
over ``InteractiveShellApp`` ones, as in ipykernel.  A launcher's ``--Class.trait=value``
arguments (:func:`launcher_config`) override the files, as on ipykernel's command
line.  Names they define are hidden from ``%who``, as in IPython.  A failing file
or line is logged and skipped: the kernel starts anyway.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from IPython.core.shellapp import InteractiveShellApp
from IPython.paths import get_ipython_dir
from traitlets.config import Config
from traitlets.config.loader import (
    ConfigFileNotFound,
    KVArgParseConfigLoader,
    PyFileConfigLoader,
)

log = logging.getLogger("braid_kernel.profile")

CONFIG_FILES = ("ipython_config.py", "ipython_kernel_config.py")
PROFILE = "profile_default"
# What IPython loads before the configured extensions (storemagic: %store), as ipykernel does.
DEFAULT_EXTENSIONS: tuple[str, ...] = tuple(InteractiveShellApp.default_extensions.default())


def profile_dir() -> Path:
    return Path(get_ipython_dir()) / PROFILE


def load_profile_config(directory: Path | None = None) -> Config:
    """The merged configuration of the profile's config files (empty if none)."""
    directory = directory or profile_dir()
    config = Config()
    for name in CONFIG_FILES:
        if not (directory / name).is_file():
            continue
        try:
            config.merge(PyFileConfigLoader(name, path=str(directory)).load_config())
        except ConfigFileNotFound:
            continue
        except Exception:
            log.exception("could not load %s: ignored", directory / name)
    return config


class IPKernelApp(InteractiveShellApp):  # type: ignore[misc]  # IPython is untyped
    """The startup settings as ipykernel's application reads them: a traitlets class of that name
    takes ``c.IPKernelApp.exec_lines`` (the usual spelling in ``ipython_kernel_config.py``) over
    ``c.InteractiveShellApp.exec_lines``, and types launcher strings by the traits (a list given
    as ``--InteractiveShellApp.exec_lines=["a", "b"]`` or repeated).  Only read, never run."""


def launcher_config(options: Sequence[str]) -> Config:
    """The configuration a launcher's ``--Class.trait=value`` arguments give (traitlets' own parser,
    as ipykernel reads its command line).  Arguments it cannot read are logged and left out."""
    loader = KVArgParseConfigLoader(argv=list(options), log=log, classes=[InteractiveShellApp, IPKernelApp])
    try:
        config: Config = loader.load_config()
    except (Exception, SystemExit):  # argparse exits on what it cannot parse
        log.warning("could not read launcher options %s: ignored", " ".join(options), exc_info=True)
        return Config()
    return config


def run_startup(shell: Any, config: Config, directory: Path | None = None) -> None:
    """Load extensions, enable matplotlib if asked, and run startup lines and files in ``shell``
    (see the module docstring)."""
    directory = directory or profile_dir()
    app = IPKernelApp(config=config)
    before = set(shell.user_ns)
    for extension in [*DEFAULT_EXTENSIONS, *app.extensions, *app.extra_extensions]:
        try:
            shell.extension_manager.load_extension(extension)
        except Exception:
            log.exception("could not load extension %r: skipped", extension)
    if app.matplotlib:
        try:
            shell.enable_matplotlib(app.matplotlib)
        except Exception:
            log.exception("matplotlib = %r failed: skipped", app.matplotlib)
    for line in app.exec_lines:
        try:
            shell.run_cell(line, store_history=False, silent=True)
        except Exception:
            log.exception("exec_lines entry %r failed: skipped", line)
    startup = directory / "startup"
    files = sorted(startup.glob("*.py")) + sorted(startup.glob("*.ipy")) if startup.is_dir() else []
    files.sort(key=lambda p: p.name)
    files += [Path(f) for f in app.exec_files]
    pythonstartup = os.environ.get("PYTHONSTARTUP")
    if pythonstartup and app.exec_PYTHONSTARTUP and os.path.isfile(pythonstartup):
        files.append(Path(pythonstartup))
    for path in files:
        _run_file(shell, path)
    if app.hide_initial_ns:
        shell.user_ns_hidden.update({k: v for k, v in shell.user_ns.items() if k not in before})


def _run_file(shell: Any, path: Path) -> None:
    try:
        if path.suffix == ".ipy":
            shell.safe_execfile_ipy(str(path), raise_exceptions=True)
        else:
            shell.safe_execfile(str(path), shell.user_ns, raise_exceptions=True)
    except BaseException:
        log.exception("startup file %s failed: skipped", path)
