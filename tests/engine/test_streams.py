"""OutStream: text goes to the current request's outbox entry; fileno only when the kernel has fds."""

from __future__ import annotations

import io

import pytest

from braid_kernel.engine.streams import OutStream
from braid_kernel.routing.context import Request, current_request
from braid_kernel.transport.outbox import Channel, Outbox
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
