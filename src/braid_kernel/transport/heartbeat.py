"""The heartbeat: echo every ping, on a thread that never needs the GIL.

``zmq.proxy`` between a ROUTER socket and itself echoes each message back
to its sender entirely inside libzmq, so the heartbeat keeps answering even
while a cell holds the GIL in a pure-Python loop.  A proxy that fails is restarted
(:mod:`~braid_kernel.transport.supervisor`).

The echo is bounded in bytes: a ping larger than
:data:`~braid_kernel.transport.limits.HEARTBEAT_MAX_PING` disconnects its sender
before it is buffered, and each peer has at most
:data:`~braid_kernel.transport.limits.HEARTBEAT_HWM` pings queued each way (more
are dropped: a client that pings faster than it reads its echoes loses some).
"""

from __future__ import annotations

import logging
import threading

import zmq

from braid_kernel.transport.limits import HEARTBEAT_HWM, HEARTBEAT_MAX_PING
from braid_kernel.transport.supervisor import GiveUp, log_give_up, supervise
from braid_kernel.transport.zmq_io import make_server_socket
from braid_kernel.wire.connection import ConnectionInfo

log = logging.getLogger("braid_kernel.transport")


class Heartbeat:
    """Binds the heartbeat socket and echoes on a daemon thread until the context ends."""

    def __init__(
        self, ctx: zmq.Context[zmq.Socket[bytes]], info: ConnectionInfo, *, on_give_up: GiveUp = log_give_up
    ) -> None:
        self._on_give_up = on_give_up
        self._socket = make_server_socket(ctx, zmq.ROUTER, info, "hb", _configure)
        self._socket.linger = 0
        self._thread = threading.Thread(target=self._echo, name="braid-heartbeat", daemon=True)
        self._thread.pydev_do_not_trace = True  # type: ignore[attr-defined]
        self._thread.is_pydev_daemon_thread = True  # type: ignore[attr-defined]

    def start(self) -> None:
        self._thread.start()

    def close_unstarted(self) -> None:
        """Close the socket of a heartbeat that never started (the kernel failed before serving),
        so the context can end; a running echo closes its socket itself."""
        if self._thread.ident is None:
            self._socket.close(linger=0)

    def _echo(self) -> None:
        try:
            supervise("heartbeat", self._proxy, self._on_give_up)
        finally:
            self._socket.close(linger=0)

    def _proxy(self) -> None:
        try:
            zmq.proxy(self._socket, self._socket)
        except zmq.ContextTerminated:
            return  # the context ends: so does the heartbeat


def _configure(sock: zmq.Socket[bytes]) -> None:
    sock.maxmsgsize = HEARTBEAT_MAX_PING
    sock.sndhwm = sock.rcvhwm = HEARTBEAT_HWM
