"""The I/O thread batches stream text: a loop's lines go out as one stream message although the
thread wakes at the first of them, a print's text and its newline are never split, held text goes
out when the interval ends, when anything else is posted, on ``flush_streams`` and at the stop.

The interval is set long (30 s) where a test asserts what is *not* sent early, so nothing depends
on the machine's speed: the text must come with the message that follows it."""

from __future__ import annotations

import json
import pathlib
import time
from collections.abc import Iterator

import pytest
import zmq

from braid_kernel.transport import batching, zmq_io
from braid_kernel.transport.outbox import MAX_STREAM_CHUNK, Item, Outbox, Outgoing, partial_tail
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

    def next_message(self, timeout: float = 10.0) -> tuple[str, str]:
        """The next message's type and its stream text (or "")."""
        assert self.sub.poll(int(timeout * 1000)), "nothing was sent"
        frames = self.sub.recv_multipart()
        at = frames.index(b"<IDS|MSG>")
        header, content = json.loads(frames[at + 2]), json.loads(frames[at + 5])
        return header["msg_type"], content.get("text", "")

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
    monkeypatch.setattr(batching, "STREAM_FLUSH_INTERVAL", 0.0)  # only the partial line is held
    monkeypatch.setattr(batching, "PARTIAL_LINE_HOLD", 2.0)  # the rest surely comes in time
    wire.outbox.stream(PARENT, "stdout", "env: FOO=bar")
    _taken(wire.outbox)  # the I/O thread woke and took the first part
    wire.outbox.stream(PARENT, "stdout", "\n")
    assert wire.streams(until=0.3) == ["env: FOO=bar\n"]


def test_a_line_left_partial_goes_out_after_the_hold(wire: _Wire, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batching, "STREAM_FLUSH_INTERVAL", 0.0)
    monkeypatch.setattr(batching, "PARTIAL_LINE_HOLD", 0.05)
    wire.outbox.stream(PARENT, "stdout", "progress: ")
    assert wire.streams(until=1.0) == ["progress: "]


def test_what_follows_a_partial_line_is_not_held(wire: _Wire, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batching, "PARTIAL_LINE_HOLD", 30.0)  # holding would fail the test
    wire.outbox.stream(PARENT, "stdout", "no newline")
    wire.outbox.post(Outgoing(Channel.IOPUB, "status", {"execution_state": "idle"}, PARENT))
    assert wire.streams(until=1.0) == ["no newline", "<status>"]


def test_held_text_is_sent_when_the_thread_stops(wire: _Wire, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batching, "PARTIAL_LINE_HOLD", 30.0)
    wire.outbox.stream(PARENT, "stdout", "last words")
    _taken(wire.outbox)  # held by the I/O thread, not left in the outbox
    wire.io.stop()
    assert wire.streams(until=1.0) == ["last words"]


def _lines(start: int, stop: int) -> list[str]:
    return [text for i in range(start, stop) for text in (str(i), "\n")]


def test_a_loop_of_lines_goes_out_as_one_message_although_the_thread_woke_at_the_first(
    wire: _Wire, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batching, "STREAM_FLUSH_INTERVAL", 30.0)
    wire.outbox.stream(PARENT, "stdout", "0")
    _taken(wire.outbox)  # the I/O thread woke and took the first write
    wire.outbox.stream(PARENT, "stdout", "\n")
    for start in range(1, 1000, 200):
        for text in _lines(start, start + 200):
            wire.outbox.stream(PARENT, "stdout", text)
        _taken(wire.outbox)  # taken while the loop goes on (a chunk check at the latest)
    wire.outbox.post(Outgoing(Channel.IOPUB, "status", {"execution_state": "idle"}, PARENT))
    assert wire.next_message() == ("stream", "".join(_lines(0, 1001)))
    assert wire.next_message() == ("status", "")


def test_text_of_other_streams_and_messages_keeps_its_order(
    wire: _Wire, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batching, "STREAM_FLUSH_INTERVAL", 30.0)
    wire.outbox.stream(PARENT, "stdout", "out 1\n")
    _taken(wire.outbox)
    wire.outbox.stream(PARENT, "stderr", "err\n")
    wire.outbox.stream(OTHER, "stdout", "other cell\n")
    wire.outbox.stream(PARENT, "stdout", "out 2\n")
    wire.outbox.post(Outgoing(Channel.IOPUB, "display_data", {"data": {}, "metadata": {}}, PARENT))
    wire.outbox.stream(PARENT, "stdout", "out 3\n")
    wire.outbox.post(Outgoing(Channel.IOPUB, "status", {"execution_state": "idle"}, PARENT))
    got = [wire.next_message() for _ in range(7)]
    assert got == [
        ("stream", "out 1\n"),
        ("stream", "err\n"),
        ("stream", "other cell\n"),
        ("stream", "out 2\n"),
        ("display_data", ""),
        ("stream", "out 3\n"),
        ("status", ""),
    ]


def test_held_text_goes_out_when_the_interval_ends(wire: _Wire, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batching, "STREAM_FLUSH_INTERVAL", 0.05)
    wire.outbox.stream(PARENT, "stdout", "still running\n")
    assert wire.next_message() == ("stream", "still running\n")  # with nothing posted after it


def test_flush_streams_sends_held_text_at_once(wire: _Wire, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batching, "STREAM_FLUSH_INTERVAL", 30.0)
    wire.outbox.stream(PARENT, "stdout", "flushed")
    _taken(wire.outbox)
    wire.outbox.flush_streams()
    assert wire.next_message() == ("stream", "flushed")


def test_a_chunk_of_held_text_goes_out_before_the_interval_ends(
    wire: _Wire, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batching, "STREAM_FLUSH_INTERVAL", 30.0)
    text = "".join(_lines(0, 20000))  # ~109,000 characters: three whole chunks and a rest
    for start in range(0, len(text), 100):
        wire.outbox.stream(PARENT, "stdout", text[start : start + 100])
    chunks = [wire.next_message() for _ in range(3)]
    assert chunks == [("stream", text[i * MAX_STREAM_CHUNK : (i + 1) * MAX_STREAM_CHUNK]) for i in range(3)]
    wire.outbox.post(Outgoing(Channel.IOPUB, "status", {"execution_state": "idle"}, PARENT))
    assert wire.next_message() == ("stream", text[3 * MAX_STREAM_CHUNK :])
    assert wire.next_message() == ("status", "")
