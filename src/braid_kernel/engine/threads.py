"""Threads started by a cell write into that cell.

ContextVars flow into tasks by themselves, but not into threads.  These
patches copy the starting thread's context into every new
``threading.Thread`` and into every callable submitted to a
``concurrent.futures.ThreadPoolExecutor`` (whose worker threads outlive the
cell that started them).  ``anyio.to_thread`` and ``asyncio.to_thread``
already copy the context.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

_installed = False


def propagate_context_to_threads() -> None:
    """Install the patches (idempotent)."""
    global _installed  # noqa: PLW0603 - patching the stdlib is process-wide by nature
    if _installed:
        return
    _installed = True
    original_start = threading.Thread.start
    original_submit = ThreadPoolExecutor.submit

    def start(self: threading.Thread) -> None:
        context = contextvars.copy_context()
        run = self.run
        self.run = lambda: context.run(run)  # type: ignore[method-assign]
        original_start(self)

    def submit(self: ThreadPoolExecutor, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        return original_submit(self, contextvars.copy_context().run, fn, *args, **kwargs)

    threading.Thread.start = start  # type: ignore[method-assign]
    ThreadPoolExecutor.submit = submit  # type: ignore[method-assign,assignment]
