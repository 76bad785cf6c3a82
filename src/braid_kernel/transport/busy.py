"""How long the kernel has been busy, as the I/O thread sees the status messages it sends.

Every request the kernel handles is framed by a ``busy`` and an ``idle`` status on IOPub; the I/O
thread sends them all, so it can tell, without any other thread waking, when the kernel has been
busy without a break for a while: a long cell.  :class:`BusyWatch` calls an action once, the first
time that happens (the kernel prepares its traceback formatter then: the cell may well end in an
error or an interrupt, and the first traceback of a process costs ~60 ms of imports and caches).

:class:`BusyWatch` is pure (the clock is passed in); the I/O thread feeds it what it sends and
asks it how long it may sleep.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

from braid_kernel.transport.outbox import Item, Outgoing

T = TypeVar("T")


class BusyWatch(Generic[T]):
    """Calls ``action(mark)`` once the kernel has been busy for ``after`` seconds without a break,
    ``mark`` being what ``mark()`` returned when that busy period began (the kernel reads the main
    thread's CPU clock: was it computing or waiting?)."""

    def __init__(
        self,
        after: float,
        action: Callable[[T], None],
        mark: Callable[[], T],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._after = after
        self._action = action
        self._mark = mark
        self._clock = clock
        self._in_flight = 0  # requests between their busy and their idle status
        self._began: tuple[float, T] | None = None  # when the kernel became busy, and mark() then
        self.done = False

    def saw(self, items: Iterable[Item]) -> None:
        """``items`` are being sent."""
        for item in items:
            if type(item) is not Outgoing or item.msg_type != "status":
                continue
            state = item.content.get("execution_state")
            if state == "busy":
                if not self._in_flight:
                    self._began = self._clock(), self._mark()
                self._in_flight += 1
            elif state == "idle" and self._in_flight:
                self._in_flight -= 1
                if not self._in_flight:
                    self._began = None

    def look(self) -> int | None:
        """Milliseconds until the kernel will have been busy long enough (None: it is idle, or the
        action has run); runs the action when that time has come."""
        if self.done or self._began is None:
            return None
        since, marked = self._began
        left = since + self._after - self._clock()
        if left > 0:
            return max(1, math.ceil(left * 1000))
        self.done = True
        self._action(marked)
        return None
