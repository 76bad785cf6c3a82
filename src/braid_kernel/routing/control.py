"""The control thread: control-channel requests never wait for user code.

Interrupts, shutdown, kernel_info, subshell administration and debugger
requests are served here, one at a time, on a thread of their own, so they
are answered even while a cell blocks the main thread.  The thread is supervised
(:mod:`~braid_kernel.transport.supervisor`): a failure outside the handlers (which the
dispatcher already turns into error replies) loses the request at hand, not the thread.
"""

from __future__ import annotations

import contextvars
import queue
import threading

from braid_kernel.routing.context import Request
from braid_kernel.routing.dispatch import SyncDispatcher
from braid_kernel.transport.supervisor import GiveUp, supervise


class ControlThread:
    """Serves control requests in arrival order on a dedicated thread."""

    def __init__(self, dispatcher: SyncDispatcher, on_give_up: GiveUp) -> None:
        """``on_give_up``: called if serving keeps failing (the kernel shuts down)."""
        self._dispatcher = dispatcher
        self._on_give_up = on_give_up
        self._queue: queue.SimpleQueue[Request | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._serve, name="braid-control", daemon=True)
        self._thread.pydev_do_not_trace = True  # type: ignore[attr-defined]
        self._thread.is_pydev_daemon_thread = True  # type: ignore[attr-defined]

    def start(self) -> None:
        self._thread.start()

    def submit(self, request: Request) -> None:
        self._queue.put(request)

    def stop(self, timeout: float = 2.0) -> None:
        self._queue.put(None)
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    def _serve(self) -> None:
        supervise("control", self._serve_requests, self._on_give_up)

    def _serve_requests(self) -> None:
        while (request := self._queue.get()) is not None:
            self._dispatcher.dispatch(request)


class InlineControl:
    """Serves control requests at once, on the thread that routes them.

    For in-process kernels, which have no threads of their own: the host
    calls in, and interrupt, shutdown and kernel_info need no user code.
    Each request is served in an empty context, as on the control thread:
    a subshell thread it starts must not inherit the host loop's context
    (anyio would think that loop runs in the new thread too).
    """

    def __init__(self, dispatcher: SyncDispatcher) -> None:
        self._dispatcher = dispatcher

    def submit(self, request: Request) -> None:
        contextvars.Context().run(self._dispatcher.dispatch, request)
