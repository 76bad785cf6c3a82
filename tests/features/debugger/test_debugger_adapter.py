"""The DAP connection against a scripted fake pydevd on a local socket, and how the kernel accepts
pydevd's connection (only a peer that knows the token)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from braid_kernel.features.debugger.engine import AdapterTimeout, AdapterUnavailable, is_untraced
from braid_kernel.features.debugger.engine.adapter import AdapterConnection
from braid_kernel.features.debugger.engine.framing import FrameDecoder, encode
from braid_kernel.features.debugger.engine.server import accept_pydevd

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
        self.address = ("127.0.0.1", int(self.server.getsockname()[1]))
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
    connection = AdapterConnection(socket.create_connection(adapter.address), lambda event: None)
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
    connection = AdapterConnection(socket.create_connection(adapter.address), received.append)
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
    connection = AdapterConnection(socket.create_connection(adapter.address), explode)
    try:
        assert connection.request("threads", timeout=5)["success"] is True
    finally:
        connection.close()


def test_adapter_closing_fails_pending_and_later_requests(fake: Callable[[Script], FakeAdapter]) -> None:
    def script(conn: socket.socket, decoder: FrameDecoder) -> None:
        read(conn, decoder, 1)  # then hang up without answering

    adapter = fake(script)
    connection = AdapterConnection(socket.create_connection(adapter.address), lambda event: None)
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
    connection = AdapterConnection(socket.create_connection(adapter.address), lambda event: None)
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
    connection = AdapterConnection(socket.create_connection(adapter.address), lambda event: None)
    try:
        readers = [t for t in threading.enumerate() if t.name == "braid-debugpy-reader"]
        assert readers and all(is_untraced(t) for t in readers)
    finally:
        connection.close()


def _pydevd(address: tuple[str, int], token: object, stop: threading.Event) -> threading.Thread:
    """A peer connected to ``address`` (in the listener's queue on return) that answers
    ``pydevdAuthorize`` with ``token``."""
    conn = socket.create_connection(address)

    def run() -> None:
        with conn:
            decoder = FrameDecoder()
            for request in read(conn, decoder, 1):
                conn.sendall(respond(request, clientAccessToken=token))
            stop.wait(10)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_only_a_peer_that_knows_the_token_is_accepted_as_pydevd(caplog: pytest.LogCaptureFixture) -> None:
    stop = threading.Event()
    with socket.create_server(("127.0.0.1", 0)) as listener:
        address = ("127.0.0.1", int(listener.getsockname()[1]))
        intruders = [_pydevd(address, "guessed", stop), _pydevd(address, None, stop)]  # queued first
        real = _pydevd(address, "the-token", stop)
        connection = accept_pydevd(listener, "the-token", lambda: None, time.monotonic() + 30)
    try:
        assert not connection.closed
        assert caplog.text.count("not the kernel's pydevd") == 2, caplog.text
    finally:
        stop.set()
        connection.close()
        for thread in (*intruders, real):
            thread.join(5)


def test_pydevd_failing_to_connect_is_reported() -> None:
    with (
        socket.create_server(("127.0.0.1", 0)) as listener,
        pytest.raises(AdapterUnavailable, match="no debugpy"),
    ):
        accept_pydevd(listener, "token", lambda: "no debugpy here", time.monotonic() + 30)
