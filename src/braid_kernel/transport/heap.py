"""Memory a peer made the kernel hold, given back to the system once it is free.

A message the I/O thread drops (:func:`~braid_kernel.transport.limits.receive_bounded`)
may have cost a lot while it arrived: libzmq keeps every frame of a multipart message
(a 64-byte ``msg_t`` each, in 16 KiB blocks) until the last one has come, so a million
one-byte frames take ~64 MB.  Freed, those blocks stay in the C heap: glibc returns
memory to the system only from the top of a heap, so the kernel would stay that much
larger for good.  :class:`HeapTrimmer` calls glibc's ``malloc_trim(0)``, which returns
the free pages of every heap, after such a drop; elsewhere (macOS, musl, Windows) it
does nothing.

It also trims once the I/O thread has been quiet for :data:`QUIET` after a burst of
traffic (:data:`BURST_MESSAGES` messages since the last trim): a thousand concurrent cells
leave ~5-15 MB of freed message and cell memory in the C heap, which a long-lived kernel
would otherwise keep until its next burst.

It runs on the I/O thread, after a drop or a burst (never while messages flow: each one
moves the burst's deadline), at most once per ``interval``: a drop within the interval of
the last trim is followed by one trim when the interval ends (:attr:`HeapTrimmer.due`, a
deadline for the I/O thread's poll), so a flood of oversized messages cannot keep the
thread trimming.
"""

from __future__ import annotations

import logging
import math
import os
import sys
import time
from collections.abc import Callable

log = logging.getLogger("braid_kernel.transport")

#: Seconds between two trims (one takes ~10-15 ms with 450 MB of fragmented heap; it releases the GIL).
TRIM_INTERVAL = 1.0
#: Messages through the I/O thread after which a quiet moment trims the heap.
BURST_MESSAGES = 2000
#: Seconds without traffic that make a moment quiet.
QUIET = 0.1


def glibc_malloc_trim() -> Callable[[], object] | None:
    """``malloc_trim(0)`` of the C library, or None when that is not glibc (on Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes  # here: a kernel that never drops a message does not import it (startup)

    try:
        if not os.confstr("CS_GNU_LIBC_VERSION"):
            return None
        trim = ctypes.CDLL("libc.so.6").malloc_trim
    except (ValueError, OSError, AttributeError):  # musl has no such confstr name or function
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return lambda: trim(0)


class HeapTrimmer:
    """Gives the C heap's free memory back to the system after a drop or a burst, rate-limited.

    ``trim`` defaults to glibc's ``malloc_trim(0)``, looked up on the first trim (no
    import cost for a kernel that never has one); with none available, trims do nothing.
    Used by one thread (the I/O thread).
    """

    def __init__(
        self,
        trim: Callable[[], object] | None = None,
        interval: float = TRIM_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
        *,
        burst: int = BURST_MESSAGES,
        quiet: float = QUIET,
    ) -> None:
        self._trim = trim
        self._looked_up = trim is not None
        self._interval = interval
        self._clock = clock
        self._burst = burst
        self._quiet = quiet
        self._last = -interval
        self._traffic = 0  # messages since the last trim
        self._requested: float | None = None  # when a requested trim that had to wait is due
        self._after_burst: float | None = None  # when the quiet moment after a burst begins

    @property
    def due(self) -> float | None:
        """When a trim is due (a ``clock`` time), else None."""
        return min((due for due in (self._requested, self._after_burst) if due is not None), default=None)

    def request(self) -> None:
        """Something large was just freed: trim now, or once the interval since the last ends."""
        now = self._clock()
        if now - self._last >= self._interval:
            self._run(now)
        elif self._requested is None:
            self._requested = self._last + self._interval

    def traffic(self, messages: int) -> None:
        """``messages`` went through: after a burst, trim once no more came for ``quiet``
        (and the interval since the last trim has ended)."""
        self._traffic += messages
        if self._traffic >= self._burst:
            self._after_burst = max(self._clock() + self._quiet, self._last + self._interval)

    def run_due(self) -> int | None:
        """Trim if a deferred request is due (call when the thread wakes up); returns the
        milliseconds until a request still waiting is due, or None when none waits."""
        due = self.due
        if due is None:
            return None
        now = self._clock()
        if now < due:
            return max(1, math.ceil((due - now) * 1000))
        self._run(now)
        return None

    def _run(self, now: float) -> None:
        burst = self._traffic if self._after_burst is not None and now >= self._after_burst else 0
        self._requested = self._after_burst = None
        self._traffic = 0
        self._last = now
        if not self._looked_up:
            self._looked_up = True
            self._trim = glibc_malloc_trim()
        if self._trim is None:
            return
        try:
            self._trim()
            log.debug(
                "gave the C heap's free memory back%s", f" after a burst of {burst} messages" if burst else ""
            )
        except Exception:  # never let housekeeping break the thread that serves the sockets
            log.debug("malloc_trim failed", exc_info=True)
