"""One long-lived loop of the other backend, on a thread of its own: what
:class:`~braid_kernel.features.foreign.engine.ForeignLoops` starts on first use (see there)."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import CancelledError, Future
from typing import Any, TypeVar, cast

import anyio
import sniffio
from anyio.from_thread import BlockingPortal

__all__ = ("ForeignLoop",)

log = logging.getLogger("braid_kernel")

CANCEL_GRACE = 10.0  # seconds a cancelled foreign run gets to unwind before the caller stops waiting
T = TypeVar("T")


class ForeignLoop:
    """One event loop of ``backend`` on a daemon thread of its own, reached through an anyio
    :class:`~anyio.from_thread.BlockingPortal` (thread-safe task start and cancellation)."""

    def __init__(self, backend: str) -> None:
        self.backend = backend
        self._closing = False
        self._started: Future[BlockingPortal] = Future()
        # The thread starts in an empty context: code the loop runs outside any run (a client's
        # background task) belongs to no cell.  Each run sets its caller's context itself.
        self._thread = threading.Thread(target=self._serve, name=f"braid-{backend}-loop", daemon=True)
        contextvars.Context().run(self._thread.start)
        self._portal = self._started.result()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _serve(self) -> None:
        async def serve() -> None:
            async with BlockingPortal() as portal:
                self._started.set_result(portal)
                await portal.sleep_until_stopped()

        try:
            anyio.run(serve, backend=self.backend)
        except BaseException as exc:  # reported to whoever waits for the start
            if not self._started.done():
                self._started.set_exception(exc)
            else:
                log.warning("the %s loop of run_on ended with an error", self.backend, exc_info=True)

    async def run(self, call: Callable[[], Awaitable[T]]) -> T:
        """Await ``call()`` on this loop from another loop's task, in the caller's context."""
        job = _Job(call, contextvars.copy_context())
        future = self._portal.start_task_soon(job.main)
        try:
            result, error = await anyio.to_thread.run_sync(future.result, abandon_on_cancel=True)
        except (anyio.get_cancelled_exc_class(), KeyboardInterrupt):  # an interrupt, either way
            future.cancel()  # the portal cancels the job's scope on its own loop
            await _unwound(job)
            raise
        except CancelledError:  # cancelled over there, not by our caller
            why = "the kernel closed it" if self._closing else "the code was cancelled there"
            raise RuntimeError(f"the run on the {self.backend} loop of run_on was cancelled: {why}") from None
        if error is not None:
            raise error
        return cast(T, result)

    def close(self, timeout: float) -> None:
        """Cancel the runs still going, stop the loop and join the thread (up to ``timeout``)."""
        self._closing = True
        with contextlib.suppress(RuntimeError):  # the loop has already stopped
            self._portal.start_task_soon(self._portal.stop, True)
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.warning("the %s loop of run_on did not stop within %.0fs", self.backend, timeout)


class _Job:
    """One run on a foreign loop: the caller's context, and when it ended (any thread)."""

    def __init__(self, call: Callable[[], Awaitable[Any]], context: contextvars.Context) -> None:
        self._call = call
        self._context = context
        self.finished = threading.Event()

    async def main(self) -> tuple[Any, BaseException | None]:
        """The call's result, or the exception it raised: returned rather than raised, so that
        even a ``SystemExit`` never reaches (and ends) the portal's task group."""
        try:
            for var, value in self._context.items():
                if var is not sniffio.current_async_library_cvar:  # this loop's library, not the caller's
                    var.set(value)
            return await self._call(), None
        except anyio.get_cancelled_exc_class() as exc:
            if _raised_by_the_code():  # e.g. awaiting a cancelled Dask future: the code's error
                return None, exc
            raise
        except BaseException as exc:  # handed to the caller, who raises it
            return None, exc
        finally:
            self.finished.set()


async def _unwound(job: _Job) -> None:
    """Wait (shielded, up to ``CANCEL_GRACE``) until a cancelled job has unwound; a second
    interrupt arriving meanwhile does not cut the wait short (the first one is re-raised)."""
    deadline = time.monotonic() + CANCEL_GRACE
    with anyio.CancelScope(shield=True):
        while not job.finished.is_set() and time.monotonic() < deadline:
            with contextlib.suppress(KeyboardInterrupt):
                await anyio.to_thread.run_sync(job.finished.wait, max(0.0, deadline - time.monotonic()))


def _raised_by_the_code() -> bool:
    """Whether the ``asyncio.CancelledError`` being handled was raised by the code itself rather
    than by a cancellation of this task (a cancelled scope calls ``Task.cancel``).  Trio's
    ``Cancelled`` cannot be raised by user code."""
    if sniffio.current_async_library() != "asyncio":
        return False
    task = asyncio.current_task()
    return task is not None and task.cancelling() == 0
