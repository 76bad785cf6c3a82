"""Python's cyclic garbage collector, paused while a kernel process starts.

Starting a kernel makes ~60,000 objects that live as long as the process (modules, classes,
functions, IPython's configurables) and almost no cyclic garbage (~600 objects). Meanwhile the
collector would run ~90 young and 8 middle-generation collections, each traversing what was just
made: ~8 % of the start's CPU (measured: imports 290 → 267 ms median; launch to kernel_info 419 →
374 ms, 20 launches each, alternating). So ``braid-kernel`` pauses the collector from its first
line, and a kernel resumes it once it is built, before any of the user's code runs (startup files,
extensions, cells), after moving everything made so far to the oldest generation in one step
(``gc.freeze()`` then ``gc.unfreeze()``: a list splice, no traversal), where the next full
collection finds it as it would have. Other commands resume it once their command line is parsed.

Nothing a cell can observe differs from a kernel started with the collector running: it is
enabled, its thresholds are Python's, every object is in ``gc.get_objects()`` (nothing stays
frozen), and the little garbage of the start is collected by the next full collection.
"""

from __future__ import annotations

import gc


class StartupCollector:
    """The collector paused by a process's start, resumed once (:meth:`resume`)."""

    def __init__(self, paused: bool) -> None:
        self._paused = paused

    @classmethod
    def pause(cls) -> StartupCollector:
        """Pause the collector; one that is already off (the user's choice) stays off for good."""
        running = gc.isenabled()
        gc.disable()
        return cls(paused=running)

    @property
    def paused(self) -> bool:
        """Whether the collector is paused by this start and not resumed yet."""
        return self._paused

    def resume(self) -> None:
        """Resume a collector this start paused, with what exists moved to the oldest generation
        (no-op after the first call, or when the collector was off before the start)."""
        if not self._paused:
            return
        self._paused = False
        gc.freeze()  # every tracked object into the permanent generation: a list splice
        gc.unfreeze()  # ... and from there into the oldest generation, uncounted, unscanned
        gc.enable()
