"""The adapter connection against a scripted fake adapter on a local socket."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from braid_kernel.integrations.debugger import AdapterTimeout, AdapterUnavailable, is_untraced
from braid_kernel.integrations.debugger.adapter import AdapterConnection
from braid_kernel.integrations.debugger.framing import FrameDecoder, encode
from braid_kernel.integrations.debugger.server import Endpoint

pytestmark = pytest.mark.timeout(60)

Script = Callable[[socket.socket, FrameDecoder], None]


def read(conn: socket.socket, decoder: FrameDecoder, count: int) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    while len(messages) < count:
        data = conn.recv(4096)
        if not data:
            break
        messages += decoder.feed(data)
    return messages


def respond(request: dict[str, Any], **body: Any) -> bytes:
    return encode(
        {
            "seq": 100 + request["seq"],
            "type": "response",
            "request_seq": request["seq"],
            "success": True,
            "command": request["command"],
            "body": body,
        }
    )


class FakeAdapter:
    """Accepts one client and runs a script against it in a thread."""

    def __init__(self, script: Script) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.endpoint = Endpoint("127.0.0.1", self.server.getsockname()[1])
        self.thread = threading.Thread(target=self._serve, args=(script,), daemon=True)
        self.thread.start()

    def _serve(self, script: Script) -> None:
        conn, _ = self.server.accept()
        with conn:
            script(conn, FrameDecoder())

    def close(self) -> None:
        self.server.close()
        self.thread.join(5)


@pytest.fixture
def fake() -> Iterator[Callable[[Script], FakeAdapter]]:
    started: list[FakeAdapter] = []

    def start(script: Script) -> FakeAdapter:
        started.append(FakeAdapter(script))
        return started[-1]

    yield start
    for adapter in started:
        adapter.close()


def test_responses_reach_their_requests_even_out_of_order(fake: Callable[[Script], FakeAdapter]) -> None:
    def script(conn: socket.socket, decoder: FrameDecoder) -> None:
        first, second = read(conn, decoder, 2)
        conn.sendall(respond(second, which="second") + respond(first, which="first"))
        read(conn, decoder, 1)

    adapter = fake(script)
    connection = AdapterConnection(adapter.endpoint, lambda event: None)
    try:
        one = connection.send("threads")
        two = connection.send("modules")
        assert one.result(5)["body"] == {"which": "first"}
        assert two.result(5)["body"] == {"which": "second"}
    finally:
        connection.close()


def test_events_go_to_the_handler_and_to_waiters(fake: Callable[[Script], FakeAdapter]) -> None:
    def script(conn: socket.socket, decoder: FrameDecoder) -> None:
        (request,) = read(conn, decoder, 1)
        conn.sendall(encode({"seq": 1, "type": "event", "event": "initialized"}))
        conn.sendall(respond(request))
        read(conn, decoder, 1)

    received: list[dict[str, Any]] = []
    adapter = fake(script)
    connection = AdapterConnection(adapter.endpoint, received.append)
    try:
        initialized = connection.expect_event("initialized")
        assert connection.request("attach", {}, timeout=5)["success"] is True
        assert initialized.result(5)["event"] == "initialized"
        assert [event["event"] for event in received] == ["initialized"]
    finally:
        connection.close()


def test_a_failing_event_handler_does_not_stop_the_reader(fake: Callable[[Script], FakeAdapter]) -> None:
    def script(conn: socket.socket, decoder: FrameDecoder) -> None:
        (request,) = read(conn, decoder, 1)
        conn.sendall(encode({"seq": 1, "type": "event", "event": "output"}) + respond(request))
        read(conn, decoder, 1)

    def explode(event: dict[str, Any]) -> None:
        raise RuntimeError("handler bug")

    adapter = fake(script)
    connection = AdapterConnection(adapter.endpoint, explode)
    try:
        assert connection.request("threads", timeout=5)["success"] is True
    finally:
        connection.close()


def test_adapter_closing_fails_pending_and_later_requests(fake: Callable[[Script], FakeAdapter]) -> None:
    def script(conn: socket.socket, decoder: FrameDecoder) -> None:
        read(conn, decoder, 1)  # then hang up without answering

    adapter = fake(script)
    connection = AdapterConnection(adapter.endpoint, lambda event: None)
    try:
        with pytest.raises(AdapterUnavailable):
            connection.request("threads", timeout=5)
        assert connection.closed
        with pytest.raises(AdapterUnavailable):
            connection.send("threads")
    finally:
        connection.close()


def test_silent_adapter_times_out(fake: Callable[[Script], FakeAdapter]) -> None:
    done = threading.Event()

    def script(conn: socket.socket, decoder: FrameDecoder) -> None:
        read(conn, decoder, 1)
        done.wait(5)

    adapter = fake(script)
    connection = AdapterConnection(adapter.endpoint, lambda event: None)
    try:
        with pytest.raises(AdapterTimeout):
            connection.request("threads", timeout=0.2)
    finally:
        done.set()
        connection.close()


def test_reader_thread_is_invisible_to_the_debugger(fake: Callable[[Script], FakeAdapter]) -> None:
    def script(conn: socket.socket, decoder: FrameDecoder) -> None:
        read(conn, decoder, 1)

    adapter = fake(script)
    connection = AdapterConnection(adapter.endpoint, lambda event: None)
    try:
        readers = [t for t in threading.enumerate() if t.name == "braid-debugpy-reader"]
        assert readers and all(is_untraced(t) for t in readers)
    finally:
        connection.close()


def test_unreachable_adapter_is_reported() -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    with pytest.raises(AdapterUnavailable):
        AdapterConnection(Endpoint("127.0.0.1", port), lambda event: None, connect_timeout=2)
