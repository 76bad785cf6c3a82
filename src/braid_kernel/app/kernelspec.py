"""Kernelspecs: what a braid kernelspec contains, and installing, finding and removing them.

A kernelspec is written from a :class:`KernelConfig`: its ``argv`` runs ``python -m braid_kernel start``
with only the options that differ from the defaults, so the spec reads back as the same config.  The
copying itself is left to jupyter_client's ``KernelSpecManager``; finding specs uses the directories
it searches, and a spec counts as a braid one exactly when its ``argv`` runs ``braid_kernel``.
jupyter_client is imported lazily so that starting a kernel does not pay for it.
"""

from __future__ import annotations

import enum
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from braid_kernel.app.config import KernelConfig
from braid_kernel.engine.modes import Backend, format_modes
from braid_kernel.errors import ConfigError
from braid_kernel.wire.message import PROTOCOL_VERSION

__all__ = (
    "PROTOCOL_VERSION",
    "InstalledSpec",
    "Location",
    "Scope",
    "braid_version",
    "build_spec",
    "config_options",
    "default_location",
    "find_specs",
    "install_spec",
    "is_braid_argv",
    "search_dirs",
    "spec_argv",
    "uninstall_all",
    "uninstall_specs",
)

_MODULE = "braid_kernel"
_DEFAULTS = KernelConfig()
# jupyter_client's own rule for kernel names (it lower-cases them before checking).
_VALID_NAME = re.compile(r"[a-z0-9._-]+")


class Scope(enum.Enum):
    """Where a kernelspec lives, in the vocabulary of ``jupyter kernelspec install``."""

    USER = "user"
    SYS_PREFIX = "sys-prefix"
    PREFIX = "prefix"


@dataclass(frozen=True, slots=True)
class Location:
    """A kernelspec directory: the user's, this environment's, or ``PREFIX/share/jupyter/kernels``.

    ``prefix`` is required for :attr:`Scope.PREFIX` and forbidden otherwise.
    """

    scope: Scope
    prefix: Path | None = None

    def __post_init__(self) -> None:
        if (self.scope is Scope.PREFIX) != (self.prefix is not None):
            raise ConfigError("a prefix location needs a prefix path, and only it takes one")

    def install_prefix(self) -> Path | None:
        """The prefix whose ``share/jupyter/kernels`` this is; None for the user's data directory."""
        if self.scope is Scope.USER:
            return None
        return Path(sys.prefix) if self.prefix is None else self.prefix.resolve()

    def kernels_dir(self) -> Path:
        """The directory holding one sub-directory per kernelspec at this location."""
        prefix = self.install_prefix()
        if prefix is None:
            from jupyter_client.kernelspec import KernelSpecManager

            return Path(KernelSpecManager().user_kernel_dir)
        return prefix / "share" / "jupyter" / "kernels"


def default_location() -> Location:
    """Where ``install`` writes when no location is given: this environment if in one, else the user's.

    Inside a virtualenv or conda env the spec lands under ``sys.prefix``, where that env's Jupyter
    finds it and where it disappears with the env; outside one, the user's directory, which needs no
    privileges (unlike jupyter_client's own default, the system-wide directory).
    """
    conda = os.environ.get("CONDA_PREFIX")
    in_conda = conda is not None and Path(conda).resolve() == Path(sys.prefix).resolve()
    in_env = sys.prefix != sys.base_prefix or in_conda
    return Location(Scope.SYS_PREFIX) if in_env else Location(Scope.USER)


def _format_seconds(seconds: float) -> str:
    return str(int(seconds)) if seconds.is_integer() else repr(seconds)


def config_options(config: KernelConfig) -> list[str]:
    """The ``start`` options that reproduce ``config``, leaving out every default and the connection file."""
    options: list[str] = []
    if config.modes != _DEFAULTS.modes:
        options += ["--modes", format_modes(config.modes)]
    if config.backend is not Backend.ASYNCIO:
        options += ["--backend", config.backend.value]
    if config.uvloop:
        options.append("--uvloop")
    if config.loop is not None:
        options += ["--loop", config.loop.value]
    if config.subshell_namespace is not _DEFAULTS.subshell_namespace:
        options += ["--subshell-namespace", config.subshell_namespace.value]
    if config.session_idle_timeout is not None:
        options += ["--session-idle-timeout", _format_seconds(config.session_idle_timeout)]
    if config.log_level != _DEFAULTS.log_level:
        options += ["--log-level", config.log_level]
    if not config.debugger:
        options.append("--no-debugger")
    if not config.capture_fd:
        options.append("--no-capture-fd")
    if config.cache_dir is not None:
        options += ["--cache-dir", str(config.cache_dir)]
    if config.cache_size != _DEFAULTS.cache_size:
        options += ["--cache-size", str(config.cache_size)]
    if config.react_lazy:
        options.append("--lazy")
    return options


def spec_argv(config: KernelConfig, executable: str | None = None) -> list[str]:
    """The kernelspec ``argv``: this interpreter running ``braid_kernel start`` with ``config``'s options.

    CPython runs with ``-Xfrozen_modules=off``, as ipykernel's kernelspec does: the stdlib modules
    frozen into the interpreter then come from their source files, so inspection (``os.path.join??``),
    tracebacks and the debugger show their source instead of ``<frozen posixpath>``.
    """
    python = sys.executable if executable is None else executable
    interpreter = ["-Xfrozen_modules=off"] if sys.implementation.name == "cpython" else []
    return [python, *interpreter, "-m", _MODULE, "start", "-f", "{connection_file}", *config_options(config)]


def build_spec(config: KernelConfig, display_name: str | None = None) -> dict[str, Any]:
    """The ``kernel.json`` contents for ``config`` (display name defaults to ``config.spec_display_name``)."""
    return {
        "argv": spec_argv(config),
        "display_name": config.spec_display_name if display_name is None else display_name,
        "language": "python",
        "interrupt_mode": "message",
        "kernel_protocol_version": PROTOCOL_VERSION,
        "metadata": {"supported_encryption": ["curve"], "debugger": config.debugger},
        "env": {},
    }


def install_spec(
    config: KernelConfig,
    location: Location,
    name: str | None = None,
    display_name: str | None = None,
    *,
    spec: dict[str, Any] | None = None,
) -> Path:
    """Install (replacing any previous one) the kernelspec for ``config`` and return its directory.

    ``name`` defaults to ``config.spec_name``; an invalid one raises :class:`ConfigError`.
    ``spec`` replaces the ``kernel.json`` contents (default: :func:`build_spec`).
    Filesystem failures (no permission to write ``location``) propagate as :class:`OSError`.
    """
    spec_name = (config.spec_name if name is None else name).lower()
    if not _VALID_NAME.fullmatch(spec_name):
        raise ConfigError(
            f"invalid kernelspec name {spec_name!r}: use ASCII letters, digits and the separators - . _"
        )
    from jupyter_client.kernelspec import KernelSpecManager

    with tempfile.TemporaryDirectory(prefix="braid-kernelspec-") as source:
        if spec is None:
            spec = build_spec(config, display_name)
        (Path(source) / "kernel.json").write_text(json.dumps(spec, indent=1) + "\n", encoding="utf-8")
        prefix = location.install_prefix()
        destination = KernelSpecManager().install_kernel_spec(
            source, spec_name, user=prefix is None, prefix=None if prefix is None else str(prefix)
        )
    return Path(destination)


@dataclass(frozen=True, slots=True)
class InstalledSpec:
    """A braid kernelspec found on disk: its name, directory and the ``argv`` it launches."""

    name: str
    resource_dir: Path
    argv: tuple[str, ...]
    display_name: str

    @property
    def options(self) -> tuple[str, ...]:
        """The arguments after ``start`` (or after the module, for specs that predate subcommands)."""
        rest = self.argv[_module_index(self.argv) + 1 :]
        return rest[1:] if rest[:1] in (("start",), ("launch",)) else rest


def _module_index(argv: tuple[str, ...]) -> int:
    """Index of the ``braid_kernel`` module (or ``braid-kernel`` script) in ``argv``; -1 if absent."""
    for index, arg in enumerate(argv):
        if index > 0 and argv[index - 1] == "-m" and arg == _MODULE:
            return index
        if index == 0 and Path(arg).stem == "braid-kernel":
            return index
    return -1


def is_braid_argv(argv: Iterable[str]) -> bool:
    """Whether a kernelspec ``argv`` runs ``-m braid_kernel`` or the ``braid-kernel`` script."""
    return _module_index(tuple(argv)) >= 0


def search_dirs() -> list[Path]:
    """The kernelspec directories Jupyter searches, highest priority first, without duplicates."""
    from jupyter_client.kernelspec import KernelSpecManager

    return list(dict.fromkeys(Path(d) for d in KernelSpecManager().kernel_dirs))


def _read_spec(resource_dir: Path) -> InstalledSpec | None:
    """The braid kernelspec in ``resource_dir``, or None if it is unreadable or not a braid one."""
    try:
        data = json.loads((resource_dir / "kernel.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    argv = data.get("argv") if isinstance(data, dict) else None
    if not isinstance(argv, list) or not all(isinstance(a, str) for a in argv) or not is_braid_argv(argv):
        return None
    return InstalledSpec(resource_dir.name.lower(), resource_dir, tuple(argv), str(data.get("display_name")))


def find_specs(location: Location | None = None) -> list[InstalledSpec]:
    """Every braid kernelspec at ``location`` (default: everywhere Jupyter looks), in search order.

    A name installed in two directories appears twice; Jupyter uses the first.
    """
    dirs = search_dirs() if location is None else [location.kernels_dir()]
    found: list[InstalledSpec] = []
    for kernels_dir in dirs:
        if not kernels_dir.is_dir():
            continue
        for resource_dir in sorted(kernels_dir.iterdir()):
            spec = _read_spec(resource_dir)
            if spec is not None:
                found.append(spec)
    return found


def _remove(spec: InstalledSpec) -> Path:
    if spec.resource_dir.is_symlink():
        spec.resource_dir.unlink()
    else:
        shutil.rmtree(spec.resource_dir)
    return spec.resource_dir


def uninstall_specs(names: Iterable[str], location: Location | None = None) -> list[Path]:
    """Remove every copy of the named braid kernelspecs at ``location`` (default: everywhere).

    All names are checked before anything is removed: a name with no braid kernelspec (including
    one naming a foreign kernel such as ``python3``) raises :class:`ConfigError`.
    Returns the removed directories.
    """
    specs = find_specs(location)
    wanted = [name.lower() for name in names]
    missing = [name for name in wanted if all(spec.name != name for spec in specs)]
    if missing:
        raise ConfigError(
            f"no braid kernelspec named {', '.join(missing)}: `braid-kernel list` shows the installed ones"
        )
    return [_remove(spec) for spec in specs if spec.name in wanted]


def uninstall_all(location: Location | None = None) -> list[Path]:
    """Remove every braid kernelspec at ``location`` (default: everywhere); returns the removed dirs."""
    return [_remove(spec) for spec in find_specs(location)]


def braid_version() -> str:
    """This package's version: ``braid_kernel.__version__`` if defined, else the installed metadata."""
    import braid_kernel

    version = getattr(braid_kernel, "__version__", None)
    if isinstance(version, str):
        return version
    import importlib.metadata  # slow to import (~40 ms): not on the kernel's start path

    try:
        return importlib.metadata.version("braid-kernel")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"
