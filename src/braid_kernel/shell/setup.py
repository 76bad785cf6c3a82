"""Building the IPython shell and plugging the kernel into its hooks."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable

from IPython.core.shellapp import InteractiveShellApp
from traitlets.config import Config

from braid_kernel.engine.cellfiles import CellFiles
from braid_kernel.routing.publisher import Publisher
from braid_kernel.shell.braid_magic import BraidCommands
from braid_kernel.shell.compiler import CellCompiler
from braid_kernel.shell.hooks import CellDisplayHook, RequestDisplayPublisher, page_to_payload
from braid_kernel.shell.ipshell import ZMQInteractiveShell

INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
HISTORY_BATCH = 16
SHELL_LOG = "braid_kernel.ipython"


def build_shell(
    publisher: Publisher,
    cell_files: CellFiles,
    config: Config | None = None,
    kernel: Callable[[ZMQInteractiveShell], object] | None = None,
) -> ZMQInteractiveShell:
    """Create the process's InteractiveShell (IPython requires exactly one) and
    swap its display hook, display publisher, pager and compiler for the kernel's (installed
    process-wide, with IPython's builtins, by :mod:`braid_kernel.process_hooks`).
    ``config`` is the user's IPython configuration (see :mod:`braid_kernel.shell.profile`);
    ``kernel`` makes ``get_ipython().kernel`` from the shell (the facade libraries reach for).
    """
    # Figures render inline unless the user chose a backend.
    os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)
    shell: ZMQInteractiveShell = (
        ZMQInteractiveShell.instance(config=config) if config else ZMQInteractiveShell.instance()
    )
    # IPython's own warnings (a failing %config, an extension) go to the kernel's log, as
    # ipykernel's go to its application log; the root logger stays the user's.
    shell.log = logging.getLogger(SHELL_LOG)
    shell.publisher = publisher
    shell.compile = CellCompiler(cell_files)
    hook = CellDisplayHook(shell=shell, cache_size=shell.cache_size, publisher=publisher)
    shell.displayhook = hook
    # Cells do not run through run_cell, whose display trap would be active around them: the
    # kernel's process hooks keep it entered (sys.displayhook is the hook) for the kernel's
    # lifetime, so a nested run_cell (``%%capture``) leaves a capturing displayhook alone.
    shell.display_trap.hook = hook
    shell.display_pub = RequestDisplayPublisher(shell=shell, publisher=publisher)
    shell.set_hook("show_in_pager", page_to_payload, 99)
    notebook = os.environ.get("JPY_SESSION_NAME")  # the notebook's path, set by jupyter_server
    if notebook:
        shell.user_ns["__session__"] = notebook  # as ipykernel names it
    # Write history to SQLite in batches: a write per cell made the saving thread
    # take the GIL (and an fsync) on every execution. History requests write
    # the cache out first, and IPython writes it out at exit.
    shell.history_manager.db_cache_size = HISTORY_BATCH
    shell.braid = BraidCommands()
    shell.register_magic_function(shell.braid, "line_cell", "braid")
    # Libraries (tqdm, plotly, ...) detect "running in a Jupyter kernel" by this config section.
    # A Config section, not a plain dict: every %config merges the shell's config.
    shell.config.setdefault("IPKernelApp", Config())
    if kernel is not None:
        shell.kernel = kernel(shell)
    return shell


def use_working_directory(config: Config) -> None:
    """Put ``''`` (the current directory) on ``sys.path`` as IPython's applications do, so
    imports follow ``%cd`` (unless ``InteractiveShellApp.ignore_cwd`` or ``python -P``), in
    place of the start directory ``python -m`` put first (as ipykernel's launcher does); for a
    kernel process, which owns its interpreter."""
    if sys.path and sys.path[0] == os.getcwd():
        del sys.path[0]
    InteractiveShellApp(config=config).init_path()
