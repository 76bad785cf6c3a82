"""The outbox: one FIFO for every outgoing message, and stream coalescing when drained."""

from __future__ import annotations

import select
import threading
import time
from collections.abc import Iterator

import pytest

from braid_kernel.transport import outbox as outbox_module
from braid_kernel.transport.outbox import (
    MAX_STREAM_CHUNK,
    Item,
    Outbox,
    Outgoing,
    encode_items,
    stream_chunks,
)
from braid_kernel.wire.channels import Channel
from braid_kernel.wire.codec import WireCodec
from braid_kernel.wire.message import Message
from braid_kernel.wire.signing import Signer

KEY = b"outbox-key"


@pytest.fixture
def outbox() -> Iterator[Outbox]:
    box = Outbox()
    yield box
    box.close()


def kernel_codec() -> WireCodec:
    return WireCodec(Signer(KEY), "kernel-session")


def encode(items: list[Item]) -> tuple[list[tuple[Channel, Message]], list[tuple[Item, Exception]]]:
    """Encode as the I/O thread does; decode each result as a client would."""
    errors: list[tuple[Item, Exception]] = []
    client = WireCodec(Signer(KEY), "client")
    out = encode_items(items, kernel_codec(), lambda item, exc: errors.append((item, exc)))
    return [(channel, client.decode(frames)) for channel, frames in out], errors


def streams(messages: list[tuple[Channel, Message]]) -> list[tuple[str, str, str]]:
    """(parent msg_id, stream name, text) of each stream message."""
    return [
        (m.parent_header["msg_id"], m.content["name"], m.content["text"])
        for _, m in messages
        if m.msg_type == "stream"
    ]


def readable(fd: int) -> bool:
    return bool(select.select([fd], [], [], 0)[0])


# ------------------------------------------------------------------ the FIFO
def test_take_returns_items_in_posting_order(outbox: Outbox) -> None:
    parent = {"msg_id": "p"}
    outbox.send(Channel.IOPUB, "status", {"execution_state": "busy"}, parent)
    outbox.stream(parent, "stdout", "hi")
    outbox.send(Channel.SHELL, "execute_reply", {"status": "ok"}, parent)
    items = outbox.take()
    assert [getattr(i, "msg_type", "stream") for i in items] == ["status", "stream", "execute_reply"]
    assert outbox.take() == []


def test_each_threads_posts_stay_in_order_and_none_is_lost(outbox: Outbox) -> None:
    threads, per_thread = 8, 2000
    start = threading.Barrier(threads)

    def post(tid: int) -> None:
        start.wait()
        for n in range(per_thread):
            outbox.send(Channel.IOPUB, "t", {"tid": tid, "n": n})

    workers = [threading.Thread(target=post, args=(t,)) for t in range(threads)]
    taken: list[Item] = []
    for w in workers:
        w.start()
    while any(w.is_alive() for w in workers):
        taken.extend(outbox.take())  # drained while posting goes on, as the I/O thread does
    for w in workers:
        w.join()
    taken.extend(outbox.take())

    seen: dict[int, list[int]] = {t: [] for t in range(threads)}
    for item in taken:
        assert isinstance(item, Outgoing)
        seen[item.content["tid"]].append(item.content["n"])
    assert all(ns == list(range(per_thread)) for ns in seen.values())


def test_post_after_another_threads_post_comes_after_it(outbox: Outbox) -> None:
    t, first_posted = post_from_thread(outbox, "first")
    assert first_posted.wait(10)
    outbox.send(Channel.IOPUB, "second", {})
    t.join()
    assert [i.msg_type for i in outbox.take() if isinstance(i, Outgoing)] == ["first", "second"]


def test_posting_wakes_the_reader_and_take_rearms_it(outbox: Outbox) -> None:
    assert not readable(outbox.wake_fd)
    outbox.stream({}, "stdout", "a")
    assert readable(outbox.wake_fd)
    outbox.take()
    assert not readable(outbox.wake_fd)
    outbox.stream({}, "stdout", "b")
    assert readable(outbox.wake_fd)


def test_post_wakeup_wakes_without_queueing(outbox: Outbox) -> None:
    outbox.post_wakeup()
    assert readable(outbox.wake_fd)
    assert outbox.take() == []


def test_the_drainers_own_posts_do_not_write_the_wake_up_pipe(outbox: Outbox) -> None:
    outbox.drainer = threading.get_ident()  # this thread drains: it flushes after handling
    outbox.send(Channel.IOPUB, "mine", {})
    assert not readable(outbox.wake_fd)
    assert [i.msg_type for i in outbox.take(woken=False) if isinstance(i, Outgoing)] == ["mine"]
    other = threading.Thread(target=outbox.send, args=(Channel.IOPUB, "theirs", {}))
    other.start()
    other.join()
    assert readable(outbox.wake_fd)  # another thread's post still wakes the drainer


def test_take_without_wake_up_leaves_a_pending_byte_to_be_reported_again(outbox: Outbox) -> None:
    outbox.stream({}, "stdout", "a")
    assert len(outbox.take(woken=False)) == 1
    assert readable(outbox.wake_fd)  # not lost: the next poll reports it
    assert outbox.take(woken=True) == []
    assert not readable(outbox.wake_fd)


# ------------------------------------------------------------------ coalescing
def test_consecutive_writes_of_one_parent_and_stream_become_one_message(outbox: Outbox) -> None:
    parent = {"msg_id": "p1"}
    for i in range(1000):
        outbox.stream(parent, "stdout", f"{i}\n")
    messages, _ = encode(outbox.take())
    assert streams(messages) == [("p1", "stdout", "".join(f"{i}\n" for i in range(1000)))]


def test_stdout_and_stderr_are_not_merged(outbox: Outbox) -> None:
    parent = {"msg_id": "p1"}
    outbox.stream(parent, "stdout", "a")
    outbox.stream(parent, "stderr", "b")
    outbox.stream(parent, "stdout", "c")
    messages, _ = encode(outbox.take())
    assert streams(messages) == [("p1", "stdout", "a"), ("p1", "stderr", "b"), ("p1", "stdout", "c")]


def test_interleaved_parents_are_not_merged(outbox: Outbox) -> None:
    p1, p2 = {"msg_id": "p1"}, {"msg_id": "p2"}
    for parent, text in ((p1, "a1"), (p1, "a2"), (p2, "b"), (p1, "a3")):
        outbox.stream(parent, "stdout", text)
    messages, _ = encode(outbox.take())
    assert streams(messages) == [("p1", "stdout", "a1a2"), ("p2", "stdout", "b"), ("p1", "stdout", "a3")]


def test_equal_but_distinct_parent_headers_are_not_merged(outbox: Outbox) -> None:
    # Coalescing is by parent identity (the request's own header object), never by equality.
    outbox.stream({"msg_id": "p"}, "stdout", "a")
    outbox.stream({"msg_id": "p"}, "stdout", "b")
    messages, _ = encode(outbox.take())
    assert streams(messages) == [("p", "stdout", "a"), ("p", "stdout", "b")]


def test_another_message_in_between_ends_the_run_and_keeps_order(outbox: Outbox) -> None:
    parent = {"msg_id": "p1"}
    outbox.stream(parent, "stdout", "before")
    outbox.send(Channel.IOPUB, "display_data", {"data": {"text/plain": "x"}, "metadata": {}}, parent)
    outbox.stream(parent, "stdout", "after")
    outbox.send(Channel.SHELL, "execute_reply", {"status": "ok"}, parent)
    messages, _ = encode(outbox.take())
    assert [(c, m.msg_type) for c, m in messages] == [
        (Channel.IOPUB, "stream"),
        (Channel.IOPUB, "display_data"),
        (Channel.IOPUB, "stream"),
        (Channel.SHELL, "execute_reply"),
    ]
    assert [m.content["text"] for _, m in messages if m.msg_type == "stream"] == ["before", "after"]


def test_stream_messages_are_parented_and_go_on_iopub(outbox: Outbox) -> None:
    parent = {"msg_id": "p1", "msg_type": "execute_request", "subshell_id": "s1"}
    outbox.stream(parent, "stderr", "oops")
    messages, _ = encode(outbox.take())
    [(channel, msg)] = messages
    assert channel is Channel.IOPUB
    assert msg.parent_header == parent
    assert msg.header["subshell_id"] == "s1"
    assert msg.content == {"name": "stderr", "text": "oops"}


def test_text_above_the_chunk_size_is_split_in_order(outbox: Outbox) -> None:
    parent = {"msg_id": "p1"}
    text = "".join(chr(ord("a") + i % 26) for i in range(MAX_STREAM_CHUNK * 2 + 123))
    outbox.stream(parent, "stdout", text[:1000])
    outbox.stream(parent, "stdout", text[1000:])
    messages, _ = encode(outbox.take())
    texts = [t for _, _, t in streams(messages)]
    assert len(texts) == 3
    assert all(len(t) <= MAX_STREAM_CHUNK for t in texts)
    assert "".join(texts) == text


@pytest.mark.parametrize("chunk", [1, 4, 7])
def test_stream_chunks_cut_the_joined_text_without_joining_it(
    monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(outbox_module, "MAX_STREAM_CHUNK", chunk)
    cases = [["abc", "", "defghij", "k\n"], ["", ""], ["x" * 20], ["ab", "cd", "ef", "gh", "i"]]
    for texts in cases:
        joined = "".join(texts)
        assert list(stream_chunks(texts)) == [joined[i : i + chunk] for i in range(0, len(joined), chunk)]


# ------------------------------------------------------------------ encoding errors
def test_unencodable_item_is_reported_and_replaced_by_a_stderr_line_of_its_request(outbox: Outbox) -> None:
    parent = {"msg_id": "p1"}
    bad = Outgoing(Channel.IOPUB, "display_data", {"data": {"x": object()}}, parent)
    outbox.send(Channel.IOPUB, "status", {"execution_state": "busy"}, parent)
    outbox.post(bad)
    outbox.stream(parent, "stdout", "still sent")
    outbox.send(Channel.IOPUB, "status", {"execution_state": "idle"}, parent)
    messages, errors = encode(outbox.take())
    assert [m.msg_type for _, m in messages] == ["status", "stream", "stream", "status"]
    notice = messages[1][1]
    assert notice.parent_header == parent
    assert notice.content["name"] == "stderr"
    assert "display_data" in notice.content["text"]
    assert "object" in notice.content["text"]
    assert messages[2][1].content == {"name": "stdout", "text": "still sent"}
    assert len(errors) == 1
    assert errors[0][0] is bad
    assert isinstance(errors[0][1], TypeError)


def test_unencodable_reply_becomes_an_error_reply_to_the_same_client() -> None:
    parent = {"msg_id": "p2"}
    bad = Outgoing(
        Channel.SHELL,
        "execute_reply",
        {"status": "ok", "execution_count": 7, "user_expressions": {"x": object()}},
        parent,
        identities=(b"client",),
    )
    messages, errors = encode([bad])
    [(channel, reply)] = messages
    assert channel is Channel.SHELL
    assert reply.identities == (b"client",)
    assert reply.msg_type == "execute_reply"
    assert reply.parent_header == parent
    assert reply.content["status"] == "error"
    assert reply.content["execution_count"] == 7
    assert "could not send" in reply.content["evalue"]
    assert len(errors) == 1


def test_a_buffer_that_is_not_bytes_costs_only_its_message() -> None:
    parent = {"msg_id": "p3"}
    items: list[Item] = [
        Outgoing(Channel.IOPUB, "comm_msg", {"comm_id": "c", "data": {}}, parent, buffers=(buffer,))
        for buffer in ("text", 5, bytearray(b"ok"))
    ]
    messages, errors = encode(items)
    assert [(m.msg_type, m.content.get("name")) for _, m in messages] == [
        ("stream", "stderr"),
        ("stream", "stderr"),
        ("comm_msg", None),
    ]
    assert "buffer 0 (str) is not bytes-like" in messages[0][1].content["text"]
    assert "buffer 0 (int) is not bytes-like" in messages[1][1].content["text"]
    assert messages[2][1].buffers == (b"ok",)
    assert len(errors) == 2


def test_an_unencodable_message_without_a_request_is_only_reported() -> None:
    messages, errors = encode([Outgoing(Channel.IOPUB, "display_data", {"data": {"x": object()}})])
    assert messages == []
    assert len(errors) == 1


def test_stream_text_with_lone_surrogates_goes_out_with_replacement_characters(outbox: Outbox) -> None:
    parent = {"msg_id": "p4"}
    outbox.stream(parent, "stdout", b"caf\xe9".decode("utf-8", "surrogateescape"))
    outbox.stream(parent, "stdout", "\n")
    outbox.send(Channel.IOPUB, "status", {"execution_state": "idle"}, parent)
    messages, errors = encode(outbox.take())
    assert streams(messages) == [("p4", "stdout", "caf\ufffd\n")]
    assert errors == []


def test_outgoing_keeps_identities_metadata_buffers_and_header() -> None:
    own = kernel_codec().header("input_request")
    item = Outgoing(
        Channel.STDIN,
        "input_request",
        {"prompt": "?", "password": False},
        {"msg_id": "p"},
        {"m": 1},
        (b"client",),
        (b"buf",),
        own,
    )
    out = encode_items([item], kernel_codec(), lambda i, e: None)
    [(channel, frames)] = out
    msg = WireCodec(Signer(KEY), "client").decode(frames)
    assert channel is Channel.STDIN
    assert frames[0] == b"client"
    assert msg.identities == (b"client",)
    assert msg.metadata == {"m": 1}
    assert msg.buffers == (b"buf",)
    assert msg.msg_id == own["msg_id"]


def test_a_wakeup_callback_replaces_the_pipe_and_fires_once_per_take() -> None:
    calls: list[int] = []
    box = Outbox(wakeup=lambda: calls.append(1))
    try:
        box.send(Channel.IOPUB, "status", {"execution_state": "busy"})
        box.stream({"msg_id": "p"}, "stdout", "text")
        assert calls == [1], "one wake-up until the drainer takes the items"
        assert len(box.take()) == 2
        box.stream({"msg_id": "p"}, "stdout", "more")
        assert calls == [1, 1]
    finally:
        box.close()


def test_while_holding_only_what_is_not_stream_text_wakes_the_drainer(outbox: Outbox) -> None:
    parent = {"msg_id": "p"}
    outbox.take()
    outbox.hold()
    outbox.stream(parent, "stdout", "joins the held text quietly")
    assert not readable(outbox.wake_fd)
    outbox.send(Channel.IOPUB, "display_data", {"data": {}}, parent)
    assert readable(outbox.wake_fd) and not outbox.holding
    assert len(outbox.take()) == 2 and not outbox.holding and outbox.asleep


# ------------------------------------------------------------------ backpressure


def fill_to_backlog(outbox: Outbox) -> None:
    """Queue one item short of the backlog (the drainer's own posts never wait)."""
    for i in range(outbox_module.BACKLOG - 1):
        outbox.send(Channel.IOPUB, f"m{i}", {})


def post_from_thread(outbox: Outbox, msg_type: str = "last") -> tuple[threading.Thread, threading.Event]:
    """Post ``msg_type`` from another thread and return once that post waits for the drainer or
    has returned; the event is set once it returns."""
    posted = threading.Event()

    def post() -> None:
        outbox.send(Channel.IOPUB, msg_type, {})
        posted.set()

    thread = threading.Thread(target=post)
    thread.start()
    deadline = time.monotonic() + 10
    while outbox.waiting == 0 and not posted.is_set() and time.monotonic() < deadline:
        time.sleep(0.001)
    return thread, posted


@pytest.fixture
def long_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """A post released within seconds was released by the drainer, not by its timeout."""
    monkeypatch.setattr(outbox_module, "BACKLOG_WAIT", 60.0)


@pytest.mark.usefixtures("long_wait")
def test_a_post_that_reaches_the_backlog_waits_until_the_drainer_has_sent_it(outbox: Outbox) -> None:
    outbox.drainer = threading.get_ident()  # this thread drains
    fill_to_backlog(outbox)
    thread, posted = post_from_thread(outbox)
    assert outbox.waiting == 1 and not posted.is_set()
    assert readable(outbox.wake_fd)  # the poster woke the drainer, then waits
    items = outbox.take()
    assert len(items) == outbox_module.BACKLOG
    assert not posted.wait(0.01), "taken is not sent"
    outbox.sent()
    assert posted.wait(10), "the drainer's report released the post"
    thread.join()


def test_a_drainer_that_does_not_drain_delays_a_post_by_the_longest_wait_only(
    outbox: Outbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox_module, "BACKLOG_WAIT", 0.2)
    outbox.drainer = threading.get_ident()
    fill_to_backlog(outbox)
    thread, posted = post_from_thread(outbox)
    assert posted.wait(5), "the post went on after BACKLOG_WAIT"
    thread.join()
    assert len(outbox.take()) == outbox_module.BACKLOG  # nothing lost


@pytest.mark.usefixtures("long_wait")
def test_a_drainer_that_stops_releases_the_waiting_posts(outbox: Outbox) -> None:
    outbox.drainer = threading.get_ident()
    fill_to_backlog(outbox)
    thread, posted = post_from_thread(outbox)
    assert outbox.waiting == 1 and not posted.is_set()
    outbox.stop_draining()
    assert posted.wait(10)
    thread.join()


def test_posts_do_not_wait_without_a_drainer_thread_or_on_it(outbox: Outbox) -> None:
    for i in range(3 * outbox_module.BACKLOG):  # no drainer thread (an in-process kernel)
        outbox.send(Channel.IOPUB, f"m{i}", {})
    outbox.drainer = threading.get_ident()
    for i in range(3 * outbox_module.BACKLOG):  # the drainer's own posts
        outbox.send(Channel.IOPUB, f"n{i}", {})
    assert len(outbox.take()) == 6 * outbox_module.BACKLOG


@pytest.mark.usefixtures("long_wait")
def test_stream_text_never_waits(outbox: Outbox) -> None:
    outbox.drainer = -1  # a drainer thread that never drains
    done = threading.Event()

    def prints() -> None:
        for i in range(3 * outbox_module.BACKLOG):
            outbox.stream({}, "stdout", f"{i}\n")
        done.set()

    thread = threading.Thread(target=prints)
    thread.start()
    assert done.wait(10), "print is a deque append, never a wait"
    thread.join()
