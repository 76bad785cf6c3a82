"""A shell's inbox: requests handed from the I/O thread to a shell's loop."""

from __future__ import annotations

import contextlib
import math
from functools import partial

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from braid_kernel.routing.context import Request
from braid_kernel.routing.loopbridge import LoopBridge


class ShellInbox:
    """FIFO of requests for one shell; ``submit`` is thread-safe.

    Create it inside the loop that will read it (it captures that loop).
    """

    def __init__(self) -> None:
        send, receive = anyio.create_memory_object_stream[Request](max_buffer_size=math.inf)
        self._send: MemoryObjectSendStream[Request] = send
        self.receive: MemoryObjectReceiveStream[Request] = receive
        self.bridge = LoopBridge.for_current_loop()

    def submit(self, request: Request) -> bool:
        """Queue ``request`` (from any thread); False if the shell has stopped."""
        return self.bridge.call_soon(partial(self._put, request))

    def _put(self, request: Request) -> None:
        with contextlib.suppress(anyio.ClosedResourceError, anyio.BrokenResourceError):
            self._send.send_nowait(request)

    def close(self) -> None:
        """Stop accepting requests (call on the shell's loop)."""
        self._send.close()
