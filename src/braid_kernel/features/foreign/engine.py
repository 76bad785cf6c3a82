"""Running code written for the other async library: ``await run_on("trio", fn, *args)``.

A cell on an asyncio kernel may need a trio library, and the other way round.  :func:`run_on`
awaits ``fn(*args)`` on the named backend: directly when that is the backend the caller runs on,
otherwise in a fresh loop of that library (``asyncio.run`` / ``trio.run``) on a worker thread, so
the kernel's own loop keeps serving while it runs.  The foreign run's result is returned and its
exception raised to the caller; cancelling the caller (an interrupt of the cell) cancels the
foreign run and waits for it to end.  Worker threads inherit the caller's context, so output
lands in the calling cell.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, TypeVar

import anyio
import sniffio

__all__ = ("BACKENDS", "run_on")

BACKENDS = ("asyncio", "trio")
CANCEL_GRACE = 10.0  # seconds a cancelled foreign run gets to unwind before the caller stops waiting
T = TypeVar("T")


async def run_on(backend: str, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
    """Await ``fn(*args)`` on ``backend`` ("asyncio" or "trio") and return its result.

    Raises ``ValueError`` for an unknown backend name and ``ImportError`` (naming the package to
    install) when trio is asked for but missing.
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}: use one of {', '.join(map(repr, BACKENDS))}")
    if backend == sniffio.current_async_library():
        return await fn(*args)
    if backend == "trio":
        try:
            import trio  # noqa: F401
        except ImportError as exc:
            raise ImportError("run_on('trio', ...) needs trio: pip install trio") from exc
    run = _ForeignRun(backend, partial(fn, *args))
    try:
        result: T = await anyio.to_thread.run_sync(run.run, abandon_on_cancel=True)
    except anyio.get_cancelled_exc_class():
        run.cancel()
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(run.finished.wait, CANCEL_GRACE)
        raise
    return result


class _ForeignRun:
    """One run of another library's event loop on the current (worker) thread, cancellable from
    any thread."""

    def __init__(self, backend: str, call: Callable[[], Awaitable[Any]]) -> None:
        self._backend = backend
        self._call = call
        self._lock = threading.Lock()
        self._cancel: Callable[[], object] | None = None
        self._cancelled = False
        self.finished = threading.Event()

    def run(self) -> Any:
        try:
            if self._backend == "trio":
                import trio

                return trio.run(self._trio_main)
            return asyncio.run(self._asyncio_main())
        finally:
            self.finished.set()

    async def _trio_main(self) -> Any:
        import trio

        with trio.CancelScope() as scope:
            self._on_cancel(partial(trio.lowlevel.current_trio_token().run_sync_soon, scope.cancel))
            return await self._call()
        return None  # cancelled: the caller raises its own cancellation

    async def _asyncio_main(self) -> Any:
        task = asyncio.current_task()
        assert task is not None
        self._on_cancel(partial(asyncio.get_running_loop().call_soon_threadsafe, task.cancel))
        return await self._call()

    def _on_cancel(self, cancel: Callable[[], object]) -> None:
        with self._lock:
            self._cancel = cancel
            if self._cancelled:
                cancel()

    def cancel(self) -> None:
        """Cancel the foreign run (any thread), now or as soon as its loop starts."""
        with self._lock:
            self._cancelled = True
            if self._cancel is not None:
                with contextlib.suppress(RuntimeError):  # its loop has already ended
                    self._cancel()
