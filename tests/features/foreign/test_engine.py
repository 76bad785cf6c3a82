"""``ForeignLoops.run_on`` on both anyio backends: results, errors and cancellation cross to the
other library, whose loop lives from one call to the next and stops at ``close``."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import AsyncIterator

import anyio
import pytest
import sniffio
import trio

from braid_kernel.features.foreign.engine import ForeignLoops

pytestmark = pytest.mark.anyio

marker: contextvars.ContextVar[str] = contextvars.ContextVar("marker", default="unset")


@pytest.fixture
async def loops() -> AsyncIterator[ForeignLoops]:
    foreign = ForeignLoops()
    yield foreign
    foreign.close()


async def _library_of_trio() -> str:
    await trio.sleep(0)
    return sniffio.current_async_library()


async def _library_of_asyncio() -> str:
    await asyncio.sleep(0)
    return sniffio.current_async_library()


async def _make_queue() -> asyncio.Queue[int]:
    queue: asyncio.Queue[int] = asyncio.Queue()
    await queue.put(41)
    return queue


async def _take_queue(queue: asyncio.Queue[int]) -> int:
    return await queue.get() + 1


async def _make_channel() -> trio.MemoryReceiveChannel[int]:
    send, receive = trio.open_memory_channel[int](1)
    await send.send(41)
    return receive


async def _take_channel(receive: trio.MemoryReceiveChannel[int]) -> int:
    return await receive.receive() + 1


async def test_each_backend_runs_on_its_own_library(loops: ForeignLoops) -> None:
    assert await loops.run_on("trio", _library_of_trio) == "trio"
    assert await loops.run_on("asyncio", _library_of_asyncio) == "asyncio"


async def test_arguments_are_passed_and_errors_raised(loops: ForeignLoops) -> None:
    async def fail(message: str) -> None:
        await trio.sleep(0)
        raise LookupError(message)

    with pytest.raises(LookupError, match="from trio"):
        await loops.run_on("trio", fail, "from trio")


async def test_cancelling_the_caller_cancels_the_foreign_run(loops: ForeignLoops) -> None:
    unwound: list[str] = []
    started = {"asyncio": threading.Event(), "trio": threading.Event()}

    async def long_asyncio() -> None:
        try:
            started["asyncio"].set()
            await asyncio.sleep(60)
        finally:
            unwound.append("asyncio")

    async def long_trio() -> None:
        try:
            started["trio"].set()
            await trio.sleep(60)
        finally:
            unwound.append("trio")

    with anyio.fail_after(20):
        for backend, fn in (("asyncio", long_asyncio), ("trio", long_trio)):
            async with anyio.create_task_group() as tg:
                tg.start_soon(loops.run_on, backend, fn)
                await anyio.to_thread.run_sync(started[backend].wait)
                tg.cancel_scope.cancel()
    assert unwound == ["asyncio", "trio"]


async def test_state_bound_to_the_foreign_loop_lives_across_calls(loops: ForeignLoops) -> None:
    """An asyncio.Queue made in one call is used in the next: one loop, not one per call."""
    other = "trio" if sniffio.current_async_library() == "asyncio" else "asyncio"
    make, take = (_make_queue, _take_queue) if other == "asyncio" else (_make_channel, _take_channel)
    state = await loops.run_on(other, make)
    assert await loops.run_on(other, take, state) == 42
    assert loops.running() == [other]


async def test_a_run_sees_the_callers_context_variables(loops: ForeignLoops) -> None:
    async def read() -> tuple[str, str]:
        return marker.get(), sniffio.current_async_library()

    marker.set("from-the-caller")
    other = "trio" if sniffio.current_async_library() == "asyncio" else "asyncio"
    assert await loops.run_on(other, read) == ("from-the-caller", other)


async def test_close_cancels_runs_and_stops_every_loop_thread() -> None:
    loops = ForeignLoops()
    unwound = threading.Event()
    started = threading.Event()

    async def forever() -> None:
        try:
            started.set()
            await anyio.sleep_forever()
        finally:
            unwound.set()

    other = "trio" if sniffio.current_async_library() == "asyncio" else "asyncio"
    errors: list[BaseException] = []

    async def caller() -> None:
        try:
            await loops.run_on(other, forever)
        except RuntimeError as exc:
            errors.append(exc)

    async with anyio.create_task_group() as tg:
        tg.start_soon(caller)
        await anyio.to_thread.run_sync(started.wait)
        threads = [t for t in threading.enumerate() if t.name == f"braid-{other}-loop"]
        assert len(threads) == 1
        await anyio.to_thread.run_sync(loops.close)
        assert unwound.is_set() and not threads[0].is_alive()
        assert loops.running() == []
    assert "the kernel closed it" in str(errors[0])
    with pytest.raises(RuntimeError, match="shutting down"):
        await loops.run_on(other, forever)


async def test_unknown_backend_is_refused(loops: ForeignLoops) -> None:
    with pytest.raises(ValueError, match="unknown backend 'curio'"):
        await loops.run_on("curio", _library_of_trio)


async def test_a_base_exception_of_a_run_leaves_the_loop_running(loops: ForeignLoops) -> None:
    """``%asyncio sys.exit()`` raises SystemExit in the cell; the loop serves the next call."""

    async def leave() -> None:
        raise SystemExit(3)

    other = "trio" if sniffio.current_async_library() == "asyncio" else "asyncio"
    with pytest.raises(SystemExit):
        await loops.run_on(other, leave)
    assert await loops.run_on(other, _library_of_trio if other == "trio" else _library_of_asyncio) == other
    assert loops.running() == [other]


@pytest.mark.parametrize("anyio_backend", ["trio"])  # an asyncio caller runs the code in place
async def test_a_cancelled_error_the_asyncio_code_raises_is_its_error(loops: ForeignLoops) -> None:
    """Awaiting a cancelled Dask future raises a CancelledError subclass: the caller gets that
    error (from a trio caller), not a cancellation of the run; the loop goes on."""

    class FutureCancelled(asyncio.CancelledError):
        pass

    async def await_cancelled() -> None:
        await asyncio.sleep(0)
        raise FutureCancelled("task-key cancelled")

    with pytest.raises(FutureCancelled, match="task-key cancelled"):
        await loops.run_on("asyncio", await_cancelled)
    assert await loops.run_on("asyncio", _library_of_asyncio) == "asyncio"
