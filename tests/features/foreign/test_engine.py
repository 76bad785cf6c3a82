"""``run_on`` on both anyio backends: results, errors and cancellation cross to the other library."""

from __future__ import annotations

import asyncio

import anyio
import pytest
import sniffio
import trio

from braid_kernel.features.foreign.engine import run_on

pytestmark = pytest.mark.anyio


async def _library_of_trio() -> str:
    await trio.sleep(0)
    return sniffio.current_async_library()


async def _library_of_asyncio() -> str:
    await asyncio.sleep(0)
    return sniffio.current_async_library()


async def test_each_backend_runs_on_its_own_library() -> None:
    assert await run_on("trio", _library_of_trio) == "trio"
    assert await run_on("asyncio", _library_of_asyncio) == "asyncio"


async def test_arguments_are_passed_and_errors_raised() -> None:
    async def fail(message: str) -> None:
        await trio.sleep(0)
        raise LookupError(message)

    with pytest.raises(LookupError, match="from trio"):
        await run_on("trio", fail, "from trio")


async def test_cancelling_the_caller_cancels_the_foreign_run() -> None:
    unwound: list[str] = []

    async def long_asyncio() -> None:
        try:
            await asyncio.sleep(60)
        finally:
            unwound.append("asyncio")

    async def long_trio() -> None:
        try:
            await trio.sleep(60)
        finally:
            unwound.append("trio")

    with anyio.fail_after(20):
        for fn in (long_asyncio, long_trio):
            with anyio.move_on_after(0.2):
                await run_on("asyncio" if fn is long_asyncio else "trio", fn)
    assert unwound == ["asyncio", "trio"]


async def test_unknown_backend_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown backend 'curio'"):
        await run_on("curio", _library_of_trio)
