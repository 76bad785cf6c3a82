"""Supervision of the kernel's own threads: a failure costs a restart, never a silent hang.

The I/O, heartbeat, control and fd-capture threads each run their loop through
:func:`supervise`.  An exception escaping the loop — a bug, or something the loop did not
foresee — is logged and the loop starts again on the same thread (its sockets and pipes belong
to that thread, and nothing it held is lost but the message it was handling).  A loop that keeps
failing (more than :data:`MAX_FAILURES` times within :data:`FAILURE_WINDOW` seconds) is given
up: the supervisor reports it through ``give_up``, and the kernel shuts down with that message
in its log, so the frontend sees the kernel die and offers a restart instead of waiting forever.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable

log = logging.getLogger("braid_kernel.supervisor")

MAX_FAILURES = 5
FAILURE_WINDOW = 60.0  # seconds

GiveUp = Callable[[str], None]
"""Called (on the failing thread) with a sentence saying which thread failed and how."""


def supervise(
    name: str,
    body: Callable[[], None],
    give_up: GiveUp,
    *,
    max_failures: int = MAX_FAILURES,
    window: float = FAILURE_WINDOW,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Run ``body`` until it returns; run it again each time it raises, until it has failed
    more than ``max_failures`` times within ``window`` seconds, then call ``give_up``."""
    failures: deque[float] = deque()
    while True:
        try:
            body()
            return
        except BaseException as exc:  # whatever it is, the thread must not vanish
            now = clock()
            failures.append(now)
            while now - failures[0] > window:
                failures.popleft()
            if len(failures) > max_failures:
                reason = (
                    f"the kernel's {name} thread failed {len(failures)} times within {window:g} s"
                    f" (last: {type(exc).__name__}: {exc})"
                )
                log.critical("%s", reason, exc_info=exc)
                give_up(reason)
                return
            log.error("the kernel's %s thread failed; restarting it", name, exc_info=exc)


def log_give_up(reason: str) -> None:
    """The ``give_up`` of a thread run without a kernel to stop (tests, tools): log only."""
    log.critical("%s; the thread has stopped", reason)


class Lifeline:
    """Where supervised threads report that they gave up, for a handler connected later.

    The I/O thread and the heartbeat start before the kernel exists (sockets first, see
    ``app.launch``); a failure reported before :meth:`connect` is kept and handed to the
    handler when it connects.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._handler: GiveUp | None = None
        self._pending: list[str] = []

    def connect(self, handler: GiveUp) -> None:
        with self._lock:
            self._handler = handler
            pending, self._pending = self._pending, []
        for reason in pending:
            handler(reason)

    def give_up(self, reason: str) -> None:
        with self._lock:
            handler = self._handler
            if handler is None:
                self._pending.append(reason)
                return
        handler(reason)
