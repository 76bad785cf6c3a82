"""The process-wide state an in-process kernel changes, and putting it back.

A kernel process owns its interpreter; an in-process kernel borrows one.
While it runs it must replace ``sys.stdout``/``sys.stderr`` (cells' output
goes to the cell that wrote it), ``input``/``getpass`` (answered through the
client), ``sys.displayhook`` and the builtins IPython adds (``display``,
``get_ipython``, ``exit``...), ``sys.modules["__main__"]`` (IPython's user
module), the ``comm`` package's factories, the environment variables it sets (``MPLBACKEND``,
``PAGER``...), the import hook
of :mod:`~braid_kernel.integrations.detection` and ``pdb.Pdb``/``pdb.set_trace``.
:class:`ProcessState` records all of it before the kernel starts and
restores it when the kernel ends.

It never touches signal handlers: an in-process kernel installs none (an
interrupt cancels the running cells instead), and :meth:`ProcessState.restore`
checks that the SIGINT handler is still the host's.
"""

from __future__ import annotations

import builtins
import getpass
import logging
import os
import pdb
import signal
import sys
import threading
from dataclasses import dataclass
from types import ModuleType
from typing import Any, TextIO

import comm

from braid_kernel.integrations.detection import ImportTrigger
from braid_kernel.shell.ipshell import CHILD_ENVIRONMENT

log = logging.getLogger("braid_kernel")

_ENV_KEYS = ("MPLBACKEND", *CHILD_ENVIRONMENT)


@dataclass(frozen=True, slots=True)
class ProcessState:
    """A snapshot of the process-wide hooks, taken with :meth:`capture`."""

    stdout: TextIO
    stderr: TextIO
    displayhook: Any
    builtins: dict[str, Any]
    getpass: Any
    main_module: ModuleType | None
    comm_factories: tuple[Any, Any]
    environ: dict[str, str | None]
    sigint: Any
    meta_path: tuple[object, ...]
    pdb_hooks: tuple[Any, Any]

    @classmethod
    def capture(cls) -> ProcessState:
        on_main = threading.current_thread() is threading.main_thread()
        return cls(
            stdout=sys.stdout,
            stderr=sys.stderr,
            displayhook=sys.displayhook,
            builtins=dict(vars(builtins)),
            getpass=getpass.getpass,
            main_module=sys.modules.get("__main__"),
            comm_factories=(comm.create_comm, comm.get_comm_manager),
            environ={key: os.environ.get(key) for key in _ENV_KEYS},
            sigint=signal.getsignal(signal.SIGINT) if on_main else None,
            meta_path=tuple(sys.meta_path),
            pdb_hooks=(pdb.Pdb, pdb.set_trace),
        )

    def restore(self) -> None:
        """Put every recorded hook back (names added to builtins are removed)."""
        sys.stdout, sys.stderr, sys.displayhook = self.stdout, self.stderr, self.displayhook
        names = vars(builtins)
        for name in set(names) - set(self.builtins):
            del names[name]
        names.update(self.builtins)
        getpass.getpass = self.getpass
        if self.main_module is not None:
            sys.modules["__main__"] = self.main_module
        comm.create_comm, comm.get_comm_manager = self.comm_factories
        pdb.Pdb, pdb.set_trace = self.pdb_hooks  # type: ignore[misc]
        for finder in [f for f in sys.meta_path if isinstance(f, ImportTrigger) and f not in self.meta_path]:
            finder.uninstall()  # the kernel's own import hook (other new finders belong to libraries)
        for key, value in self.environ.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        if self.sigint is not None and signal.getsignal(signal.SIGINT) is not self.sigint:
            log.warning("the SIGINT handler changed while an in-process kernel ran: restoring it")
            signal.signal(signal.SIGINT, self.sigint)
