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

A thread's uncaught exception is reported by ``threading.excepthook``, which
``Thread._bootstrap_inner`` calls after ``run`` returns, outside the copied
context: the patch runs that report in the context too, so "Exception in
thread ..." reaches the cell that started the thread, and drops the kernel's
own frames (these patches) from the traceback it shows.
"""

from __future__ import annotations

import contextvars
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any

import sniffio

from braid_kernel.engine.standin import stand_in

_PACKAGE_DIR = str(Path(__file__).parent.parent) + os.sep  # as code objects name their files


def context_start(original: Callable[[threading.Thread], None]) -> Callable[[threading.Thread], None]:
    """A ``Thread.start`` that runs the new thread in a copy of the starting thread's context
    (and reports its uncaught exception there); it passes for ``original``."""

    @stand_in(original)
    def start(self: threading.Thread) -> None:
        context = contextvars.copy_context()
        run = self.run
        self.run = lambda: context.run(_outside_any_loop, run)  # type: ignore[method-assign]
        # Thread._invoke_excepthook: CPython 3.8+ (checked on 3.11 by a test).
        report = getattr(self, "_invoke_excepthook", None)
        if report is not None:
            self._invoke_excepthook = lambda thread: context.run(  # type: ignore[attr-defined]
                _report_uncaught, report, thread
            )
        original(self)

    return start


def context_submit(original: Callable[..., Future[Any]]) -> Callable[..., Future[Any]]:
    """A ``ThreadPoolExecutor.submit`` that runs ``fn`` in a copy of the submitting thread's
    context; it passes for ``original``."""

    @stand_in(original)
    def submit(self: ThreadPoolExecutor, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        return original(self, contextvars.copy_context().run, _outside_any_loop, fn, *args, **kwargs)

    return submit


# The code of every start context_start makes: how propagate_context_to_threads knows one is
# installed (the stand-in carries no mark of its own, to pass for the original).
_START_CODE = context_start(threading.Thread.start).__code__


def propagate_context_to_threads() -> None:
    """Install both patches for good (idempotent); a kernel installs them with the rest of its
    process hooks instead (:mod:`braid_kernel.process_hooks`), and removes them."""
    if getattr(threading.Thread.start, "__code__", None) is _START_CODE:
        return
    threading.Thread.start = context_start(threading.Thread.start)  # type: ignore[method-assign,assignment]
    ThreadPoolExecutor.submit = context_submit(ThreadPoolExecutor.submit)  # type: ignore[method-assign]


def _outside_any_loop(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """Run ``fn`` in the copied context, minus sniffio's "this thread runs <loop>" mark:
    anyio.run and sniffio-based detection in the new thread must see no event loop."""
    sniffio.current_async_library_cvar.set(None)
    return fn(*args, **kwargs)


def _report_uncaught(report: Callable[[threading.Thread], None], thread: threading.Thread) -> None:
    """Run the thread's ``threading.excepthook`` call in the starting cell's context,
    on a traceback without the kernel's frames (``sys.exc_info`` reads ``__traceback__``)."""
    exc = sys.exc_info()[1]
    if exc is not None:
        exc.__traceback__ = _without_kernel_frames(exc.__traceback__)
    report(thread)


def _without_kernel_frames(tb: TracebackType | None) -> TracebackType | None:
    kept: list[TracebackType] = []
    while tb is not None:
        if not tb.tb_frame.f_code.co_filename.startswith(_PACKAGE_DIR):
            kept.append(tb)
        tb = tb.tb_next
    rebuilt: TracebackType | None = None
    for entry in reversed(kept):
        rebuilt = TracebackType(rebuilt, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    return rebuilt
