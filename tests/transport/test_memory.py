"""MemoryTransport: the I/O thread's contract without sockets or threads."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from braid_kernel.transport.memory import MemoryTransport
from braid_kernel.transport.outbox import Outbox
from braid_kernel.wire.channels import Channel
from braid_kernel.wire.codec import WireCodec
from braid_kernel.wire.signing import Signer

KEY = b"memory-key"


@pytest.fixture
def outbox() -> Iterator[Outbox]:
    box = Outbox()
    yield box
    box.close()


def make(outbox: Outbox) -> tuple[MemoryTransport, list[tuple[Channel, list[bytes]]]]:
    received: list[tuple[Channel, list[bytes]]] = []
    transport = MemoryTransport(
        WireCodec(Signer(KEY), "kernel"), outbox, lambda channel, frames: received.append((channel, frames))
    )
    return transport, received


def test_deliver_calls_on_frames_at_once_with_channel_and_frames(outbox: Outbox) -> None:
    transport, received = make(outbox)
    transport.deliver(Channel.CONTROL, (b"id", b"frame"))
    assert received == [(Channel.CONTROL, [b"id", b"frame"])]


def test_errors_in_on_frames_reach_the_caller(outbox: Outbox) -> None:
    def boom(channel: Channel, frames: list[bytes]) -> None:
        raise RuntimeError("handler bug")

    transport = MemoryTransport(WireCodec(Signer(KEY), "kernel"), outbox, boom)
    with pytest.raises(RuntimeError, match="handler bug"):
        transport.deliver(Channel.SHELL, [b"x"])


def test_drain_of_an_empty_outbox_is_empty(outbox: Outbox) -> None:
    transport, _ = make(outbox)
    assert transport.drain() == []


def test_drain_returns_signed_frames_in_order_with_streams_coalesced(outbox: Outbox) -> None:
    transport, _ = make(outbox)
    parent = {"msg_id": "p1", "msg_type": "execute_request"}
    outbox.send(Channel.IOPUB, "status", {"execution_state": "busy"}, parent)
    for i in range(100):
        outbox.stream(parent, "stdout", f"{i} ")
    outbox.send(Channel.SHELL, "execute_reply", {"status": "ok"}, parent, identities=[b"client"])
    outbox.send(Channel.IOPUB, "status", {"execution_state": "idle"}, parent)

    client = WireCodec(Signer(KEY), "client")
    drained = [(channel, client.decode(frames)) for channel, frames in transport.drain()]

    assert [(c, m.msg_type) for c, m in drained] == [
        (Channel.IOPUB, "status"),
        (Channel.IOPUB, "stream"),
        (Channel.SHELL, "execute_reply"),
        (Channel.IOPUB, "status"),
    ]
    assert drained[1][1].content["text"] == "".join(f"{i} " for i in range(100))
    assert drained[2][1].identities == (b"client",)
    assert all(m.parent_header == parent for _, m in drained)
    assert transport.drain() == []


def test_unencodable_items_are_kept_and_the_rest_is_sent(outbox: Outbox) -> None:
    transport, _ = make(outbox)
    outbox.send(Channel.IOPUB, "display_data", {"data": {"x": object()}})
    outbox.send(Channel.IOPUB, "status", {"execution_state": "idle"})
    drained = transport.drain()
    assert len(drained) == 1
    [(item, exc)] = transport.unencodable
    assert getattr(item, "msg_type", None) == "display_data"
    assert isinstance(exc, TypeError)
