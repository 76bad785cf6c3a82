"""Binding a kernel socket to a port that is held for a moment."""

from __future__ import annotations

import pathlib
import socket
import threading

import pytest
import zmq

from braid_kernel.transport import zmq_io
from braid_kernel.transport.limits import IOPUB_HWM, IOPUB_MAX_INBOUND
from braid_kernel.transport.outbox import Outbox
from braid_kernel.wire.codec import DEFAULT_MAX_BYTES, WireCodec
from braid_kernel.wire.connection import ConnectionInfo
from braid_kernel.wire.signing import Signer


def _held_port() -> tuple[socket.socket, int]:
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    return holder, holder.getsockname()[1]


def test_bind_waits_for_a_port_held_for_a_moment() -> None:
    holder, port = _held_port()
    threading.Timer(0.3, holder.close).start()
    ctx: zmq.Context[zmq.Socket[bytes]] = zmq.Context()
    sock = ctx.socket(zmq.ROUTER)
    try:
        zmq_io._bind_with_retry(sock, f"tcp://127.0.0.1:{port}")
        assert str(sock.getsockopt_string(zmq.LAST_ENDPOINT)).endswith(f":{port}")
    finally:
        sock.close(linger=0)
        ctx.term()


def test_bind_gives_up_with_the_error_when_the_port_stays_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(zmq_io, "BIND_RETRIES", 3)
    holder, port = _held_port()
    ctx: zmq.Context[zmq.Socket[bytes]] = zmq.Context()
    sock = ctx.socket(zmq.ROUTER)
    try:
        with pytest.raises(zmq.ZMQError) as caught:
            zmq_io._bind_with_retry(sock, f"tcp://127.0.0.1:{port}")
        assert caught.value.errno == zmq.EADDRINUSE
    finally:
        holder.close()
        ctx.term()


def test_kernel_sockets_have_their_options_before_they_bind(
    monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path
) -> None:
    """A client polling from launch connects the moment a socket binds; its pipe takes the
    options in force then, so IOPub's high-water mark (for bursts) and every socket's inbound
    size limit must be set before bind."""
    seen: dict[str, tuple[int, int, int]] = {}
    real_bind = zmq_io._bind_with_retry

    def checking_bind(sock: zmq.Socket[bytes], endpoint: str) -> None:
        seen[endpoint] = (sock.socket_type, sock.sndhwm, int(sock.maxmsgsize))
        real_bind(sock, endpoint)

    monkeypatch.setattr(zmq_io, "_bind_with_retry", checking_bind)
    info = ConnectionInfo("ipc", str(tmp_path / "k"), 1, 2, 3, 4, 5, b"")
    ctx: zmq.Context[zmq.Socket[bytes]] = zmq.Context()
    io = zmq_io.IOThread(ctx, info, WireCodec(Signer(b""), "s", "u"), Outbox(), lambda channel, frames: None)
    io.start()
    try:
        iopub = [(hwm, size) for kind, hwm, size in seen.values() if kind == zmq.XPUB]
        assert iopub == [(IOPUB_HWM, IOPUB_MAX_INBOUND)]
        routers = [size for kind, _, size in seen.values() if kind == zmq.ROUTER]
        assert routers == [DEFAULT_MAX_BYTES] * 3
    finally:
        io.stop()
        ctx.term()
