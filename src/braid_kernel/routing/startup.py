"""Receiving while the kernel starts: every message kept, in order, until the shell serves.

A kernel process binds its sockets and starts its heartbeat before it imports
IPython and builds the shell, so both overlap with the imports.  Until the
kernel is built, :class:`StartupGate` receives the I/O thread's frames: it
decodes and verifies each message once and keeps it, with its arrival time.
:meth:`StartupGate.open` hands the kept messages to the real
:class:`~braid_kernel.routing.router.Router` and from then on passes frames
straight to it.  Nothing is answered before the main shell serves — not even
kernel_info — so a kernel that answers kernel_info runs the next cell at once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from braid_kernel.errors import WireError
from braid_kernel.routing.context import Request
from braid_kernel.routing.router import Router, decode_request
from braid_kernel.transport.throttle import ThrottledLog
from braid_kernel.wire.channels import Channel
from braid_kernel.wire.codec import WireCodec

log = logging.getLogger("braid_kernel.routing")


class StartupGate:
    """The I/O thread's ``on_frames`` target from socket bind to the router (thread-safe)."""

    def __init__(
        self, codec: WireCodec, on_rejected: Callable[[Channel, WireError], None] | None = None
    ) -> None:
        self._codec = codec
        self._on_rejected = on_rejected
        self._rejects = ThrottledLog(log)
        self._lock = threading.Lock()
        self._pending: list[Request] = []
        self._router: Router | None = None
        #: Set once :meth:`open` has handed over to the router: the kernel serves requests.
        self.opened = threading.Event()

    def on_frames(self, channel: Channel, frames: list[bytes]) -> None:
        router = self._router
        if router is not None:  # the common case once started: no lock
            router.on_frames(channel, frames)
            return
        with self._lock:
            if self._router is not None:
                self._router.on_frames(channel, frames)
                return
            request = decode_request(self._codec, channel, frames, self._rejects, self._on_rejected)
            if request is not None:
                self._pending.append(request)

    def open(self, router: Router) -> None:
        """Route the kept messages through ``router``, then pass everything to it."""
        with self._lock:
            for request in self._pending:
                router.route(request)
            self._pending.clear()
            self._router = router
        self.opened.set()
