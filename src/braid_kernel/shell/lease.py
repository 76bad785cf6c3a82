"""A shell for a kernel that lives inside another program, then leaves.

IPython allows one ``InteractiveShell`` per process (a singleton).  A kernel
process creates it once and keeps it; an in-process kernel *leases* it:
:func:`lease_shell` creates the singleton before the kernel is built (so
:func:`~braid_kernel.shell.setup.build_shell` finds it), with an in-memory
history (no SQLite file, no history-saving thread), and
:func:`release_shell` ends its session and clears the singleton, so the next
in-process kernel starts with a fresh namespace and execution count.
:func:`reattach_inline_figures` gives a later shell what libraries hooked
into the first one when they were imported.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import sys
from typing import Any

from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

from braid_kernel.errors import ConfigError
from braid_kernel.shell.ipshell import ZMQInteractiveShell

log = logging.getLogger("braid_kernel.shell")


def lease_shell() -> None:
    """Create the process's shell for an in-process kernel.

    Raises :class:`ConfigError` when the process already has an IPython
    shell: another in-process kernel that is running, or the IPython or
    Jupyter kernel this program itself runs in.
    """
    if InteractiveShell.initialized():
        existing = type(InteractiveShell.instance()).__name__
        raise ConfigError(
            f"this process already has an IPython shell ({existing}): IPython allows one per process, "
            "so run one InProcessKernel at a time and not inside IPython or a Jupyter kernel "
            "(start a kernel process with jupyter_client instead)"
        )
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    ZMQInteractiveShell.instance(config=config)


def release_shell(shell: InteractiveShell) -> None:
    """End ``shell``'s session and forget the singleton (the next lease builds a new one)."""
    atexit.unregister(shell.atexit_operations)
    with contextlib.suppress(Exception):  # best effort: the shell is being thrown away
        shell.history_manager.end_session()
    try:
        shell.atexit_operations()
    except Exception:
        log.debug("shell clean-up failed", exc_info=True)
    ZMQInteractiveShell.clear_instance()


def reattach_inline_figures(shell: InteractiveShell) -> None:
    """Show inline figures in ``shell`` when pyplot was imported for an earlier one.

    matplotlib-inline registers its figure flushing (a ``post_execute``
    event) on the shell that exists when matplotlib first loads it; the
    import is cached, so a later in-process kernel's shell would get none.
    """
    if "matplotlib.pyplot" not in sys.modules or "matplotlib_inline.backend_inline" not in sys.modules:
        return
    import matplotlib
    from IPython.core.pylabtools import select_figure_formats
    from matplotlib_inline import backend_inline  # untyped

    if "inline" not in matplotlib.get_backend():
        return
    inline: Any = backend_inline
    inline.configure_inline_support(shell, "inline")
    # configure_inline_support selects the figure formats once per process, not per shell.
    select_figure_formats(shell, inline.InlineBackend.instance(parent=shell).figure_formats)
