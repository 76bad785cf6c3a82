"""Log lines that a peer can trigger at will, bounded: a flood of rejected messages must not
become a flood of log lines (disk, a terminal, a log collector)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable


class ThrottledLog:
    """At most ``burst`` warnings per ``period`` seconds through ``logger``; the rest are counted.

    The first suppressed line announces the suppression; the next line logged
    once the period is over carries the number suppressed meanwhile.  Used by
    one thread (the I/O thread), so it takes no lock.
    """

    def __init__(
        self,
        logger: logging.Logger,
        burst: int = 10,
        period: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._log = logger
        self._burst = burst
        self._period = period
        self._clock = clock
        self._window = -period  # the first call opens a window
        self._logged = 0
        self.suppressed = 0  # lines suppressed and not yet reported

    def warning(self, msg: str, *args: object) -> None:
        now = self._clock()
        if now - self._window >= self._period:
            self._window, self._logged = now, 0
        if self._logged < self._burst:
            self._logged += 1
            if self.suppressed:
                self._log.warning(
                    f"{msg} (%d similar lines suppressed before this one)", *args, self.suppressed
                )
                self.suppressed = 0
            else:
                self._log.warning(msg, *args)
            return
        if not self.suppressed:
            self._log.warning(
                "more than %d such lines in %gs: further ones are suppressed and counted",
                self._burst,
                self._period,
            )
        self.suppressed += 1
