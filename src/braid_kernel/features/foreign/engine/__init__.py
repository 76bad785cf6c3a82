"""Running code written for the other async library: ``await run_on("trio", fn, *args)``.

A cell on an asyncio kernel may need a trio library, and the other way round.
:meth:`ForeignLoops.run_on` awaits ``fn(*args)`` on the named backend: directly when that is the
backend the caller runs on, otherwise on **one long-lived loop of that library**, started on its
own thread the first time it is needed and kept for the kernel's life.  State bound to that loop
(an ``asyncio.Queue``, a Dask ``Client(asynchronous=True)`` and its futures)
therefore keeps working from one cell to the next, while the kernel's own loop keeps serving.

The foreign run's result is returned and its exception raised to the caller; cancelling the
caller (an interrupt of the cell) cancels the foreign run through that loop's thread-safe entry
and waits, shielded, for it to unwind.  Each run sees the caller's ContextVars (so output lands
in the calling cell), except sniffio's record of the running library.  :meth:`ForeignLoops.close`
(kernel shutdown) cancels what still runs there, stops the loops and joins their threads.

A loop itself (:class:`~.loop.ForeignLoop`, its thread and anyio portal) is in :mod:`.loop`,
imported when the first one starts: a kernel that never runs code on the other backend does not
load it.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

import sniffio

if TYPE_CHECKING:
    from braid_kernel.features.foreign.engine.loop import ForeignLoop

__all__ = ("BACKENDS", "ForeignLoops")

BACKENDS = ("asyncio", "trio")
CLOSE_GRACE = 5.0  # seconds a loop gets to cancel what runs on it and stop, at kernel shutdown
T = TypeVar("T")


class ForeignLoops:
    """The kernel's loops of the other backends, each started on first use (any thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loops: dict[str, ForeignLoop] = {}
        self._closed = False

    async def run_on(self, backend: str, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
        """Await ``fn(*args)`` on ``backend`` ("asyncio" or "trio") and return its result.

        Raises ``ValueError`` for an unknown backend name, ``ImportError`` (naming the package
        to install) when trio is asked for but missing, and ``RuntimeError`` after :meth:`close`.
        """
        if backend not in BACKENDS:
            raise ValueError(f"unknown backend {backend!r}: use one of {', '.join(map(repr, BACKENDS))}")
        if backend == sniffio.current_async_library():
            return await fn(*args)
        return await self.loop(backend).run(partial(fn, *args))

    def loop(self, backend: str) -> ForeignLoop:
        """The long-lived loop of ``backend``, started now if it is not running yet."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the kernel is shutting down: its foreign loops are closed")
            loop = self._loops.get(backend)
            if loop is None:
                if backend == "trio":
                    try:
                        import trio  # noqa: F401
                    except ImportError as exc:
                        raise ImportError("run_on('trio', ...) needs trio: pip install trio") from exc
                from braid_kernel.features.foreign.engine.loop import ForeignLoop  # see the module

                loop = self._loops[backend] = ForeignLoop(backend)
            return loop

    def running(self) -> list[str]:
        """The backends whose loop has been started and not closed."""
        with self._lock:
            return [name for name, loop in self._loops.items() if loop.alive]

    def close(self, timeout: float = CLOSE_GRACE) -> None:
        """Cancel what runs on the loops, stop them and join their threads (idempotent)."""
        with self._lock:
            self._closed = True
            loops, self._loops = list(self._loops.values()), {}
        for loop in loops:
            loop.close(timeout)
