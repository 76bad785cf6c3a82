"""Threads started by a cell write into that cell.

ContextVars flow into tasks by themselves, but not into threads.  These
patches copy the starting thread's context into every new
``threading.Thread`` and into every callable submitted to a
``concurrent.futures.ThreadPoolExecutor`` (whose worker threads outlive the
cell that started them).  Both replacements pass for the originals (name,
signature, pickled by reference: see :mod:`~braid_kernel.engine.standin`).
The one variable not carried over is sniffio's
record of the running async library: the new thread runs no event loop, so
``anyio.run`` works there.  ``anyio.to_thread`` and ``asyncio.to_thread``
already copy the context.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import sniffio

from braid_kernel.engine.standin import stand_in

_installed = False


def propagate_context_to_threads() -> None:
    """Install the patches (idempotent)."""
    global _installed  # noqa: PLW0603 - patching the stdlib is process-wide by nature
    if _installed:
        return
    _installed = True
    original_start = threading.Thread.start
    original_submit = ThreadPoolExecutor.submit

    @stand_in(original_start)
    def start(self: threading.Thread) -> None:
        context = contextvars.copy_context()
        run = self.run
        self.run = lambda: context.run(_outside_any_loop, run)  # type: ignore[method-assign]
        original_start(self)

    @stand_in(original_submit)
    def submit(self: ThreadPoolExecutor, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        return original_submit(self, contextvars.copy_context().run, _outside_any_loop, fn, *args, **kwargs)

    threading.Thread.start = start  # type: ignore[method-assign]
    ThreadPoolExecutor.submit = submit  # type: ignore[method-assign,assignment]


def _outside_any_loop(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """Run ``fn`` in the copied context, minus sniffio's "this thread runs <loop>" mark:
    anyio.run and sniffio-based detection in the new thread must see no event loop."""
    sniffio.current_async_library_cvar.set(None)
    return fn(*args, **kwargs)
