"""Whether a thread has been computing or waiting, read from its CPU-time clock."""

from __future__ import annotations

import time

Reading = tuple[float, float]
"""``(time.monotonic(), the thread's CPU seconds)`` at one moment."""


def read(ident: int) -> Reading | None:
    """Thread ``ident``'s (a ``threading`` ident) CPU clock now; None where threads have no CPU
    clock of their own (macOS, Windows) or the thread has ended."""
    try:
        return time.monotonic(), time.clock_gettime(time.pthread_getcpuclockid(ident))
    except (AttributeError, OSError):
        return None


def computed(ident: int, since: Reading | None, share: float = 0.25) -> bool | None:
    """Whether thread ``ident`` used more than ``share`` of a CPU since the reading ``since``;
    None when a reading is missing."""
    now = read(ident)
    if since is None or now is None or now[0] <= since[0]:
        return None
    return now[1] - since[1] > share * (now[0] - since[0])
