"""OutStream: text goes to the current request's outbox entry; fileno only when the kernel has fds."""

from __future__ import annotations

import io
import os
import select

import pytest

from braid_kernel.engine.fdcapture import ChildWrites
from braid_kernel.engine.streams import OutStream, tap_output_streams
from braid_kernel.routing.context import Request, current_request
from braid_kernel.routing.taps import tapping
from braid_kernel.transport.outbox import Outbox
from braid_kernel.wire.channels import Channel
from braid_kernel.wire.message import Message


def make_request(code: str) -> Request:
    header = {"msg_id": "1", "msg_type": "execute_request"}
    return Request(Message(header, content={"code": code}), Channel.SHELL)


def test_writes_are_queued_under_the_current_request() -> None:
    outbox = Outbox()
    stream = OutStream("stdout", outbox)
    request = make_request("print('x')")
    token = current_request.set(request)
    try:
        assert stream.write("hello") == 5
    finally:
        current_request.reset(token)
    assert list(outbox.items) == [(request.msg.header, "stdout", "hello")]


def test_flush_asks_the_io_thread_to_send_held_text_now() -> None:
    outbox = Outbox()
    try:
        outbox.take(woken=False)
        outbox.hold()  # the I/O thread holds stream text back to batch it
        OutStream("stdout", outbox).flush()
        assert outbox.flush_requested and not outbox.holding  # and it was woken
        assert select.select([outbox.wake_fd], [], [], 0)[0]
    finally:
        outbox.close()


def test_text_outside_any_request_goes_to_the_fallback() -> None:
    fallback = io.StringIO()
    OutStream("stderr", Outbox(), fallback=fallback).write("orphan")
    assert fallback.getvalue() == "orphan"


def test_non_text_is_refused() -> None:
    with pytest.raises(TypeError):
        OutStream("stdout", Outbox()).write(b"bytes")  # type: ignore[arg-type]


def test_fileno_is_the_process_descriptor_when_given() -> None:
    assert OutStream("stderr", Outbox(), fileno=2).fileno() == 2
    with pytest.raises(io.UnsupportedOperation):
        OutStream("stdout", Outbox()).fileno()


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_a_forked_child_writes_each_text_to_the_descriptor_at_once() -> None:
    read_fd, write_fd = os.pipe()
    outbox = Outbox()
    stream = OutStream("stdout", outbox, fileno=write_fd)
    stream.after_fork(in_child=True)
    token = current_request.set(make_request("fork"))
    try:
        assert stream.write("child é\n") == 8
        stream.record(True)  # cache mode's switch keeps the child's write
        stream.write("\udcff")  # a lone surrogate is replaced, not raised
    finally:
        current_request.reset(token)
        os.close(write_fd)
    assert _read_all(read_fd) == "child é\n?".encode()
    os.close(read_fd)
    assert not outbox.items  # nothing left for an I/O thread the child does not have


def test_a_forked_child_without_descriptors_writes_to_the_fallback() -> None:
    fallback = io.StringIO()
    stream = OutStream("stderr", Outbox(), fallback=fallback)
    stream.after_fork(in_child=True)
    token = current_request.set(make_request("fork"))
    try:
        stream.write("to the host")
    finally:
        current_request.reset(token)
    assert fallback.getvalue() == "to the host"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX fork")
def test_os_fork_switches_the_stream_in_the_child_only() -> None:
    read_fd, write_fd = os.pipe()
    outbox = Outbox()
    drained: list[bytes] = []
    children = ChildWrites(lambda: drained.append(_read_all(read_fd)))
    stream = OutStream("stdout", outbox, fileno=write_fd, children=children)
    token = current_request.set(make_request("fork"))
    try:
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            stream.write("from the child\n")
            os._exit(0)
        os.close(write_fd)
        assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
        assert not drained and children.flag[0] == 1  # set by the child, in shared memory
        stream.write("in the parent")  # first routes what the child wrote
        stream.write("again")
    finally:
        current_request.reset(token)
        os.close(read_fd)
    assert drained == [b"from the child\n"]
    assert [item[2] for item in outbox.items if isinstance(item, tuple)] == ["in the parent", "again"]


def test_the_kernel_catches_up_on_children_only_once_it_has_forked() -> None:
    outbox = Outbox()
    children = ChildWrites(lambda: outbox.stream({}, "stdout", "drained"))
    stream = OutStream("stdout", outbox, children=children)
    token = current_request.set(make_request("fork"))
    try:
        children.child_wrote()
        stream.write("before any fork")
        stream.after_fork(in_child=False)
        stream.write("after a fork")
        stream.write("no child wrote since")
    finally:
        current_request.reset(token)
    texts = [item[2] for item in outbox.items if isinstance(item, tuple)]
    assert texts == ["before any fork", "drained", "after a fork", "no child wrote since"]


class _Taker:
    """An output tap that takes stream text (what a reactive cell's display does)."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def iopub(self, *args: object) -> bool:
        return False

    def stream(self, name: str, text: str) -> bool:
        self.texts.append(text)
        return True


def test_writes_are_offered_to_the_taps_while_some_feature_asks() -> None:
    outbox = Outbox()
    stream = OutStream("stdout", outbox)
    request, tap = make_request("print('x')"), _Taker()
    token = current_request.set(request)
    try:
        with tapping(tap):
            stream.write("sent 1")
            stream.tap("react", True)
            stream.tap("cache", True)
            stream.write("taken 1")
            stream.record(False)  # cache mode off: reactive mode still needs the taps
            stream.write("taken 2")
            stream.tap("react", False)
            stream.write("sent 2")
    finally:
        current_request.reset(token)
    assert tap.texts == ["taken 1", "taken 2"]
    assert [item[2] for item in outbox.items] == ["sent 1", "sent 2"]  # type: ignore[index]


def test_tap_output_streams_finds_the_kernel_streams_behind_a_proxy() -> None:
    class Proxy:
        def __init__(self, inner: object) -> None:
            self.inner = inner

        def __getattr__(self, name: str) -> object:
            return getattr(self.inner, name)

    outbox = Outbox()
    stream, tap = OutStream("stderr", outbox), _Taker()
    tap_output_streams("react", True, [Proxy(stream), io.StringIO()])
    token = current_request.set(make_request(""))
    try:
        with tapping(tap):
            stream.write("taken")
    finally:
        current_request.reset(token)
    assert tap.texts == ["taken"] and not outbox.items
