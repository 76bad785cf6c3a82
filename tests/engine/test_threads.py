"""Threads started by a cell carry its context, but not the event loop's mark."""

from __future__ import annotations

import contextvars
import threading
import traceback
from concurrent.futures import ThreadPoolExecutor

import anyio
import pytest
import sniffio

from braid_kernel.engine.threads import propagate_context_to_threads

owner: contextvars.ContextVar[str] = contextvars.ContextVar("owner", default="nobody")


def _in_thread() -> tuple[str, str | None, object]:
    try:
        library: str | None = sniffio.current_async_library()
    except sniffio.AsyncLibraryNotFoundError:
        library = None
    return owner.get(), library, anyio.run(anyio.sleep, 0)


@pytest.mark.anyio
async def test_threads_started_on_a_loop_inherit_context_and_can_run_their_own_loop() -> None:
    propagate_context_to_threads()
    owner.set("cell-7")
    seen: list[tuple[str, str | None, object]] = []
    thread = threading.Thread(target=lambda: seen.append(_in_thread()))
    thread.start()
    thread.join()
    with ThreadPoolExecutor(1) as pool:
        pooled = pool.submit(_in_thread).result()
    assert seen == [("cell-7", None, None)]
    assert pooled == ("cell-7", None, None)


def test_a_threads_uncaught_exception_is_reported_in_its_context_without_kernel_frames() -> None:
    propagate_context_to_threads()
    seen: list[tuple[str, str, list[str]]] = []

    def hook(args: threading.ExceptHookArgs) -> None:
        frames = [f.name for f in traceback.extract_tb(args.exc_traceback)]
        seen.append((owner.get(), args.exc_type.__name__, frames))

    def fail() -> None:
        raise KeyError("k")

    token = owner.set("cell-8")
    saved, threading.excepthook = threading.excepthook, hook
    try:
        thread = threading.Thread(target=fail)
        assert hasattr(thread, "_invoke_excepthook")  # the private hook the patch wraps (3.8+)
        thread.start()
        thread.join()
    finally:
        threading.excepthook = saved
        owner.reset(token)
    assert seen == [("cell-8", "KeyError", ["_bootstrap_inner", "run", "fail"])]
