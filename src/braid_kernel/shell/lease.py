"""A shell for a kernel that lives inside another program, then leaves.

IPython allows one ``InteractiveShell`` per process (a singleton).  A kernel
process creates it once and keeps it; an in-process kernel *leases* it:
:func:`lease_shell` creates the singleton before the kernel is built (so
:func:`~braid_kernel.shell.setup.build_shell` finds it), with an in-memory
history (no SQLite file, no history-saving thread), and
:func:`release_shell` ends its session and clears the singleton, so the next
in-process kernel starts with a fresh namespace and execution count.
"""

from __future__ import annotations

import atexit
import contextlib
import logging

from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

from braid_kernel.errors import ConfigError
from braid_kernel.shell.ipshell import BraidShell

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
    BraidShell.instance(config=config)


def release_shell(shell: InteractiveShell) -> None:
    """End ``shell``'s session and forget the singleton (the next lease builds a new one)."""
    atexit.unregister(shell.atexit_operations)
    with contextlib.suppress(Exception):  # best effort: the shell is being thrown away
        shell.history_manager.end_session()
    try:
        shell.atexit_operations()
    except Exception:
        log.debug("shell clean-up failed", exc_info=True)
    BraidShell.clear_instance()
