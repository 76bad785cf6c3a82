"""What a kernel may change process-wide, as it is now: one snapshot, compared before, while and
after a kernel's process hooks are installed (tests/test_process_hooks.py) and an in-process kernel
runs (tests/app/test_inprocess.py)."""

from __future__ import annotations

import builtins
import getpass
import logging
import os
import pdb
import signal
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import comm

from braid_kernel.engine.interrupt import WAKE_SIGNAL

PRESERVED = "BRAID_TEST_PRESERVED"  # a variable the hooks' tests have the kernel preserve
CHILD_ENVIRONMENT = ("MPLBACKEND", "PAGER", "TERM")  # what a kernel's shell sets for its children


def process_wide() -> dict[str, Any]:
    """Each thing a kernel's process hooks (or its shell) change, by name."""
    return {
        "sys.stdout": sys.stdout,
        "sys.stderr": sys.stderr,
        "sys.displayhook": sys.displayhook,
        "input": builtins.input,
        "getpass.getpass": getpass.getpass,
        "Thread.start": threading.Thread.start,
        "ThreadPoolExecutor.submit": ThreadPoolExecutor.submit,
        "comm.create_comm": comm.create_comm,
        "comm.get_comm_manager": comm.get_comm_manager,
        "pdb.Pdb": pdb.Pdb,
        "pdb.set_trace": pdb.set_trace,
        "time.sleep": time.sleep,
        "SIGINT handler": signal.getsignal(signal.SIGINT),
        "wake signal handler": signal.getsignal(WAKE_SIGNAL),
        "switch interval": sys.getswitchinterval(),
        "builtins": sorted(vars(builtins)),
        "sys.meta_path": list(sys.meta_path),
        "__main__": sys.modules["__main__"],
        "preserved variable": os.environ.get(PRESERVED),
        "child environment": {key: os.environ.get(key) for key in CHILD_ENVIRONMENT},
        "fd 1": _descriptor(1),
        "fd 2": _descriptor(2),
        "log streams": [
            getattr(handler, "stream", None) for handler in logging.getLogger("braid_kernel").handlers
        ],
        "wakeup fd": _wakeup_fd(),
    }


def restored(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The names whose thing is not back: the same object, or an equal value."""
    return [
        name
        for name, old in before.items()
        if not (
            after[name] is old or (isinstance(old, (float, int, list, tuple, dict)) and after[name] == old)
        )
    ]


def _descriptor(fd: int) -> tuple[int, int]:
    """What file ``fd`` is open on."""
    status = os.fstat(fd)
    return status.st_dev, status.st_ino


def _wakeup_fd() -> int:
    fd = signal.set_wakeup_fd(-1)
    signal.set_wakeup_fd(fd)
    return fd
