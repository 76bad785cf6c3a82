"""Binding a kernel socket to a port that is held for a moment."""

from __future__ import annotations

import socket
import threading

import pytest
import zmq

from braid_kernel.transport import zmq_io


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
