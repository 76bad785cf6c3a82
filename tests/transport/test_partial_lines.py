"""A print's text and its newline go out as one stream message, even when the I/O thread
wakes between the two writes; a line that stays partial still goes out, promptly."""

from __future__ import annotations

import json
import pathlib
import time
from collections.abc import Iterator

import pytest
import zmq

from braid_kernel.transport import zmq_io
from braid_kernel.transport.outbox import Item, Outbox, Outgoing, partial_tail
from braid_kernel.wire.channels import Channel
from braid_kernel.wire.codec import WireCodec
from braid_kernel.wire.connection import ConnectionInfo
from braid_kernel.wire.signing import Signer

PARENT = {"msg_id": "cell-1", "msg_type": "execute_request"}
OTHER = {"msg_id": "cell-2", "msg_type": "execute_request"}


# ------------------------------------------------------------ partial_tail (pure)


def test_no_tail_when_the_last_text_ends_a_line() -> None:
    items: list[Item] = [(PARENT, "stdout", "a"), (PARENT, "stdout", "b\n")]
    assert partial_tail(items) == 2
    assert partial_tail([]) == 0


def test_the_tail_is_the_run_of_one_stream_ending_mid_line() -> None:
    status = Outgoing(Channel.IOPUB, "status", {})
    items: list[Item] = [
        (PARENT, "stdout", "x\n"),
        status,
        (PARENT, "stdout", "a\n"),
        (PARENT, "stdout", "b"),
    ]
    assert partial_tail(items) == 2
    assert partial_tail([*items, status]) == 5  # something after the partial line: nothing held


def test_the_tail_stops_at_another_stream_or_parent() -> None:
    items: list[Item] = [(PARENT, "stderr", "e"), (OTHER, "stdout", "o"), (PARENT, "stdout", "p")]
    assert partial_tail(items) == 2


# ------------------------------------------------------------ the I/O thread


class _Wire:
    def __init__(self, io: zmq_io.IOThread, outbox: Outbox, sub: zmq.Socket[bytes]) -> None:
        self.io, self.outbox, self.sub = io, outbox, sub

    def streams(self, until: float) -> list[str]:
        """The text of each stream message received before ``until`` seconds pass quietly."""
        texts = []
        while self.sub.poll(int(until * 1000)):
            frames = self.sub.recv_multipart()
            at = frames.index(b"<IDS|MSG>")
            header, content = json.loads(frames[at + 2]), json.loads(frames[at + 5])
            if header["msg_type"] == "stream":
                texts.append(content["text"])
            elif header["msg_type"] == "status":
                texts.append("<status>")
        return texts


@pytest.fixture
def wire(tmp_path: pathlib.Path) -> Iterator[_Wire]:
    info = ConnectionInfo("ipc", str(tmp_path / "k"), 1, 2, 3, 4, 5, b"")
    ctx: zmq.Context[zmq.Socket[bytes]] = zmq.Context()
    outbox = Outbox()
    io = zmq_io.IOThread(ctx, info, WireCodec(Signer(b""), "s", "u"), outbox, lambda channel, frames: None)
    io.start()
    sub = ctx.socket(zmq.SUB)
    sub.subscribe(b"")
    sub.connect(info.endpoint("iopub"))
    try:
        assert sub.poll(5000), "no iopub_welcome"
        sub.recv_multipart()
        yield _Wire(io, outbox, sub)
    finally:
        sub.close(linger=0)
        io.stop()
        ctx.term()


def _taken(outbox: Outbox, timeout: float = 5.0) -> None:
    """Wait until the I/O thread has drained ``outbox`` (what proves it took the text)."""
    deadline = time.monotonic() + timeout
    while outbox.items:
        assert time.monotonic() < deadline, "the I/O thread did not drain the outbox"
        time.sleep(0.001)


def test_a_line_completed_after_the_wake_up_is_one_message(
    wire: _Wire, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(zmq_io, "PARTIAL_LINE_HOLD", 2.0)  # the rest surely comes in time
    wire.outbox.stream(PARENT, "stdout", "env: FOO=bar")
    _taken(wire.outbox)  # the I/O thread woke and took the first part
    wire.outbox.stream(PARENT, "stdout", "\n")
    assert wire.streams(until=0.3) == ["env: FOO=bar\n"]


def test_a_line_left_partial_goes_out_after_the_hold(wire: _Wire, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(zmq_io, "PARTIAL_LINE_HOLD", 0.05)
    wire.outbox.stream(PARENT, "stdout", "progress: ")
    assert wire.streams(until=1.0) == ["progress: "]


def test_what_follows_a_partial_line_is_not_held(wire: _Wire, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(zmq_io, "PARTIAL_LINE_HOLD", 30.0)  # holding would fail the test
    wire.outbox.stream(PARENT, "stdout", "no newline")
    wire.outbox.post(Outgoing(Channel.IOPUB, "status", {"execution_state": "idle"}, PARENT))
    assert wire.streams(until=1.0) == ["no newline", "<status>"]


def test_held_text_is_sent_when_the_thread_stops(wire: _Wire, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(zmq_io, "PARTIAL_LINE_HOLD", 30.0)
    wire.outbox.stream(PARENT, "stdout", "last words")
    _taken(wire.outbox)  # held by the I/O thread, not left in the outbox
    wire.io.stop()
    assert wire.streams(until=1.0) == ["last words"]
