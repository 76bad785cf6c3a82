"""Whether a thread is computing or waiting, read from its CPU-time clock."""

from __future__ import annotations

import time


def computes(ident: int, sample: float = 0.05, share: float = 0.25) -> bool | None:
    """Whether thread ``ident`` (a ``threading`` ident) uses more than ``share`` of a CPU over the
    next ``sample`` seconds, which the calling thread spends asleep; None where threads have no CPU
    clock of their own (macOS, Windows) or the thread ended meanwhile."""
    try:
        clock = time.pthread_getcpuclockid(ident)
        used = time.clock_gettime(clock)
        start = time.monotonic()
        time.sleep(sample)
        used = time.clock_gettime(clock) - used
    except (AttributeError, OSError):
        return None
    return used > share * (time.monotonic() - start)
