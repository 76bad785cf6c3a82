"""Ending with the process that launched the kernel.

jupyter_client puts its own pid in ``JPY_PARENT_PID`` when it launches a kernel it owns (not for
``independent`` kernels).  If that process dies without shutting the kernel down — a Jupyter server
killed with SIGKILL, a crashed test runner — the kernel would otherwise run on forever, holding its
ports and memory.  :class:`ParentWatch` notices the parent's death and asks the kernel to stop (the
normal shutdown path: a cell that blocks still gets only the shutdown grace period).

On Linux the watch is a pidfd (``os.pidfd_open``): a daemon thread sleeps in ``select`` until the
parent exits, so it costs nothing and reacts at once.  Elsewhere, or when pidfds are unavailable, it
polls ``os.getppid()`` once a second (a dead parent's children are re-parented).
"""

from __future__ import annotations

import logging
import os
import select
import threading
import time
from collections.abc import Callable, Mapping

log = logging.getLogger("braid_kernel")

ENV_VAR = "JPY_PARENT_PID"
POLL_INTERVAL = 1.0  # seconds, when no pidfd can be opened


class ParentWatch:
    """Calls ``on_gone`` once, from a daemon thread, when process ``pid`` has exited;
    ``alive`` says whether it still runs (default: it is still this process's parent)."""

    def __init__(
        self,
        pid: int,
        on_gone: Callable[[], None],
        *,
        alive: Callable[[], bool] | None = None,
        poll_interval: float = POLL_INTERVAL,
    ) -> None:
        self.pid = pid
        self._on_gone = on_gone
        self._alive = alive if alive is not None else (lambda: os.getppid() == pid)
        self._poll_interval = poll_interval
        self.thread = threading.Thread(target=self._watch, name="braid-parent-watch", daemon=True)

    @classmethod
    def from_environment(cls, env: Mapping[str, str], on_gone: Callable[[], None]) -> ParentWatch | None:
        """The watch jupyter_client asked for through ``JPY_PARENT_PID``, if any: None when the
        variable is unset or not a pid, on Windows (where it holds a handle), or when that
        process is not (any longer) this one's parent."""
        value = env.get(ENV_VAR, "")
        if os.name != "posix" or not value.isdigit():
            return None
        pid = int(value)
        if pid != os.getppid():
            log.info("%s=%d is not this kernel's parent: not watching it", ENV_VAR, pid)
            return None
        return cls(pid, on_gone)

    def start(self) -> None:
        self.thread.start()

    def _watch(self) -> None:
        fd = _open_pidfd(self.pid)
        try:
            if fd is not None and self._alive():  # the pidfd names the right process
                select.select([fd], [], [])  # readable once the process has exited
            else:
                while self._alive():
                    time.sleep(self._poll_interval)
        finally:
            if fd is not None:
                os.close(fd)
        log.warning("the process that launched the kernel (pid %d) has exited: shutting down", self.pid)
        self._on_gone()


def _open_pidfd(pid: int) -> int | None:
    opener = getattr(os, "pidfd_open", None)
    if opener is None:
        return None
    try:
        return int(opener(pid))
    except OSError:  # gone already (ProcessLookupError), or pidfds unsupported here
        return None
