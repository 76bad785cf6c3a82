"""Socket limits: the IOPub queue policy, bounded receiving, and which subscriptions are served."""

from __future__ import annotations

import json
import pathlib
from collections.abc import Iterator

import pytest
import zmq

from braid_kernel.errors import MessageTooLarge
from braid_kernel.transport import zmq_io
from braid_kernel.transport.limits import (
    Backlog,
    receive_bounded,
)
from braid_kernel.transport.outbox import Outbox
from braid_kernel.wire.channels import Channel
from braid_kernel.wire.codec import WireCodec
from braid_kernel.wire.connection import ConnectionInfo
from braid_kernel.wire.signing import Signer

# ------------------------------------------------------------ receive_bounded


@pytest.fixture
def pair() -> Iterator[tuple[zmq.Socket[bytes], zmq.Socket[bytes]]]:
    ctx: zmq.Context[zmq.Socket[bytes]] = zmq.Context()
    server, client = ctx.socket(zmq.PAIR), ctx.socket(zmq.PAIR)
    server.bind("inproc://limits")
    client.connect("inproc://limits")
    yield server, client
    server.close(linger=0)
    client.close(linger=0)
    ctx.term()


def _next(sock: zmq.Socket[bytes], frames: int = 8, size: int = 100) -> list[bytes]:
    assert sock.poll(5000)
    return receive_bounded(sock, frames, size)


def test_a_message_within_the_limits_is_received_whole(pair: tuple[zmq.Socket[bytes], ...]) -> None:
    server, client = pair
    client.send_multipart([b"a", b"bb", b"ccc"])
    assert _next(server) == [b"a", b"bb", b"ccc"]
    with pytest.raises(zmq.Again):
        receive_bounded(server, 8, 100)


@pytest.mark.parametrize(
    "frames", [[b"x"] * 9, [b"y" * 60, b"y" * 60], [b"z" * 101]], ids=["frames", "bytes", "one-frame"]
)
def test_a_message_over_a_limit_is_dropped_and_the_next_one_received(
    pair: tuple[zmq.Socket[bytes], ...], frames: list[bytes]
) -> None:
    server, client = pair
    client.send_multipart(frames)
    client.send_multipart([b"next"])
    with pytest.raises(MessageTooLarge):
        _next(server)
    assert _next(server) == [b"next"]


# ------------------------------------------------------------ IOPub subscriptions


@pytest.fixture
def iopub(tmp_path: pathlib.Path) -> Iterator[tuple[zmq.Context[zmq.Socket[bytes]], str]]:
    info = ConnectionInfo("ipc", str(tmp_path / "k"), 1, 2, 3, 4, 5, b"")
    ctx: zmq.Context[zmq.Socket[bytes]] = zmq.Context()
    io = zmq_io.IOThread(ctx, info, WireCodec(Signer(b""), "s", "u"), Outbox(), lambda channel, frames: None)
    io.start()
    try:
        yield ctx, info.endpoint("iopub")
    finally:
        io.stop()
        ctx.term()


def _welcome(
    ctx: zmq.Context[zmq.Socket[bytes]], endpoint: str, topic: bytes, wait: float
) -> list[bytes] | None:
    sub = ctx.socket(zmq.SUB)
    try:
        sub.subscribe(topic)
        sub.connect(endpoint)
        return sub.recv_multipart() if sub.poll(int(wait * 1000)) else None
    finally:
        sub.close(linger=0)


@pytest.mark.parametrize("topic", [b"", b"<IDS", b"<IDS|MSG>"])
def test_topics_that_match_the_kernels_messages_are_welcomed(
    iopub: tuple[zmq.Context[zmq.Socket[bytes]], str], topic: bytes
) -> None:
    frames = _welcome(*iopub, topic, wait=5)
    assert frames is not None, "no iopub_welcome"
    at = frames.index(b"<IDS|MSG>", 1 if topic else 0)
    assert json.loads(frames[at + 2])["msg_type"] == "iopub_welcome"
    assert json.loads(frames[at + 5]) == {"subscription": topic.decode()}


def test_other_topics_are_not_served(iopub: tuple[zmq.Context[zmq.Socket[bytes]], str]) -> None:
    assert _welcome(*iopub, b"kernel.status", wait=0.5) is None
    assert _welcome(*iopub, b"", wait=5) is not None  # and the socket still serves others


# ------------------------------------------------------------ the request backlog (pure)


def test_a_channel_is_full_at_its_request_limit_until_one_is_answered() -> None:
    backlog = Backlog({Channel.SHELL: 3})
    for i in range(3):
        assert not backlog.full(Channel.SHELL)
        backlog.admit(Channel.SHELL, f"m{i}", 10)
    assert backlog.full(Channel.SHELL)
    backlog.release("m1")
    assert not backlog.full(Channel.SHELL)
    assert backlog.pending(Channel.SHELL) == 2


def test_a_channel_is_full_at_its_byte_limit() -> None:
    backlog = Backlog({Channel.SHELL: 100}, max_bytes=1000)
    backlog.admit(Channel.SHELL, "big", 600)
    assert not backlog.full(Channel.SHELL)
    backlog.admit(Channel.SHELL, "bigger", 600)
    assert backlog.full(Channel.SHELL)
    backlog.release("big")
    assert not backlog.full(Channel.SHELL)


def test_unknown_answers_and_unlimited_channels_change_nothing() -> None:
    backlog = Backlog({Channel.SHELL: 1})
    backlog.admit(Channel.STDIN, "reply", 10)
    backlog.release("never-admitted")
    backlog.release(None)
    assert not backlog.full(Channel.STDIN)
    assert not backlog.full(Channel.SHELL)


def test_a_reused_msg_id_is_counted_once_per_request() -> None:
    backlog = Backlog({Channel.SHELL: 2, Channel.CONTROL: 1})
    backlog.admit(Channel.SHELL, "same", 1)
    backlog.admit(Channel.CONTROL, "same", 1)
    assert backlog.full(Channel.CONTROL)
    backlog.release("same")
    backlog.release("same")
    assert backlog.pending(Channel.SHELL) == backlog.pending(Channel.CONTROL) == 0


def test_any_full_follows_the_channels() -> None:
    backlog = Backlog({Channel.SHELL: 1, Channel.CONTROL: 1})
    assert not backlog.any_full
    backlog.admit(Channel.SHELL, "a", 1)
    backlog.admit(Channel.CONTROL, "b", 1)
    assert backlog.any_full
    backlog.release("a")
    assert backlog.any_full  # control is still full
    backlog.release("b")
    assert not backlog.any_full
