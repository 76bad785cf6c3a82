"""Calling into an event loop from other threads and from signal handlers.

Both anyio backends offer a thread-safe, signal-safe "run this soon" entry
point: asyncio's ``loop.call_soon_threadsafe`` and trio's
``TrioToken.run_sync_soon``.  :class:`LoopBridge` captures the one of the
running loop so the I/O thread, the control thread and the SIGINT handler can
hand work to it without blocking.

The SIGINT handler also asks it whether the code the signal interrupted is the
loop library's own critical code: trio marks its internals (entering and exiting
a cancel scope, its channels, locks and events) as protected from
KeyboardInterrupt, since one raised there leaves its state half-changed;
asyncio marks nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import sniffio

log = logging.getLogger("braid_kernel.routing")


class LoopBridge:
    """A thread-safe ``call_soon`` into one running event loop."""

    def __init__(
        self,
        call_soon: Callable[[Callable[[], object]], object],
        ki_protected: Callable[[], bool] = lambda: False,
    ) -> None:
        self._call_soon = call_soon
        self._ki_protected = ki_protected
        self.closed = False

    @classmethod
    def for_current_loop(cls) -> LoopBridge:
        """Capture the event loop this coroutine runs on (asyncio or trio)."""
        library = sniffio.current_async_library()
        if library == "trio":
            import trio

            token = trio.lowlevel.current_trio_token()
            return cls(token.run_sync_soon, trio.lowlevel.currently_ki_protected)
        import asyncio

        loop = asyncio.get_running_loop()
        return cls(loop.call_soon_threadsafe)

    def call_soon(self, fn: Callable[[], object]) -> bool:
        """Schedule ``fn()`` on the loop; False if the loop has already ended."""
        if self.closed:
            return False
        try:
            self._call_soon(fn)
        except RuntimeError:  # the loop is closed (asyncio) or the run ended (trio)
            self.closed = True
            return False
        return True

    def ki_protected(self) -> bool:
        """Whether the code calling this (through any frames of its own) runs the loop library's
        code that a KeyboardInterrupt must not hit; trio's judgement, always False on asyncio.
        Called from a signal handler on the loop's thread, it judges the code the signal
        interrupted (the handler's caller)."""
        return self._ki_protected()
