"""Output taps: who sees a cell's output before it is sent, in which order, and what is sent."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from contextvars import copy_context
from typing import Any

from braid_kernel.routing.context import Request, current_request
from braid_kernel.routing.publisher import Publisher
from braid_kernel.routing.taps import current_taps, offer_iopub, offer_stream, tapping
from braid_kernel.transport.outbox import Outbox, Outgoing
from braid_kernel.wire.channels import Channel
from braid_kernel.wire.message import JsonDict, Message


class Tap:
    """Notes every offer in ``seen`` (shared between taps) and takes what ``takes`` allows."""

    def __init__(self, name: str, seen: list[str], takes: bool) -> None:
        self.name, self.seen, self.takes = name, seen, takes

    def iopub(
        self,
        msg_type: str,
        content: JsonDict,
        parent: JsonDict | None,
        metadata: JsonDict | None,
        buffers: Sequence[Any],
    ) -> bool:
        del content, metadata, buffers
        self.seen.append(f"{self.name} {msg_type} {parent and parent['msg_id']}")
        return self.takes

    def stream(self, name: str, text: str) -> bool:
        self.seen.append(f"{self.name} {name} {text}")
        return self.takes


def execute_request(silent: bool = False) -> Request:
    header = {"msg_id": "m1", "msg_type": "execute_request"}
    return Request(Message(header, content={"code": "", "silent": silent}), Channel.SHELL)


def sent(outbox: Outbox) -> list[str]:
    items = outbox.items
    return [item.msg_type if isinstance(item, Outgoing) else f"stream {item[1]} {item[2]}" for item in items]


def test_without_taps_nothing_is_taken() -> None:
    assert current_taps.get() == ()
    assert not offer_stream("stdout", "x")
    assert not offer_iopub("display_data", {}, None)


def test_the_innermost_tap_sees_output_first_and_a_taker_ends_the_offer() -> None:
    seen: list[str] = []
    outer, inner = Tap("outer", seen, takes=True), Tap("inner", seen, takes=False)
    with tapping(outer), tapping(inner):
        assert offer_stream("stdout", "a")
        assert offer_iopub("display_data", {}, {"msg_id": "p"})
    assert not offer_stream("stdout", "after")
    assert seen == ["inner stdout a", "outer stdout a", "inner display_data p", "outer display_data p"]
    seen.clear()
    with tapping(Tap("outer", seen, takes=False)), tapping(Tap("inner", seen, takes=True)):
        assert offer_stream("stderr", "b")
    assert seen == ["inner stderr b"]  # taken: the outer tap never sees it


def test_a_thread_started_with_the_context_offers_to_the_same_taps() -> None:
    seen: list[str] = []
    with tapping(Tap("tap", seen, takes=True)):
        context = copy_context()  # what the kernel's threads inherit (engine.threads)
    thread = threading.Thread(target=context.run, args=(offer_stream, "stdout", "from a thread"))
    thread.start()
    thread.join()
    assert seen == ["tap stdout from a thread"]


def test_the_publisher_sends_only_what_no_tap_took() -> None:
    outbox = Outbox()
    publisher, request = Publisher(outbox), execute_request()
    seen: list[str] = []
    token = current_request.set(request)
    try:
        with tapping(Tap("keep", seen, takes=False)):
            publisher.iopub("display_data", {"data": {}})
            publisher.stream("stdout", "kept", request)
        with tapping(Tap("take", seen, takes=True)):
            publisher.iopub("display_data", {"data": {}})
            publisher.stream("stdout", "taken", request)
    finally:
        current_request.reset(token)
    assert seen == ["keep display_data m1", "keep stdout kept", "take display_data m1", "take stdout taken"]
    assert sent(outbox) == ["display_data", "stream stdout kept"]


def test_a_silent_request_offers_its_messages_but_not_its_stream_text() -> None:
    outbox = Outbox()
    publisher, request = Publisher(outbox), execute_request(silent=True)
    seen: list[str] = []
    token = current_request.set(request)
    try:
        with tapping(Tap("keep", seen, takes=False)):
            publisher.iopub("display_data", {"data": {}})
            publisher.stream("stdout", "quiet", request)
    finally:
        current_request.reset(token)
    assert seen == ["keep display_data m1"]  # as before taps: a cache recording sees (and blocks on) it
    assert sent(outbox) == []
