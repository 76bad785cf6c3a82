"""The comm port: signals, liveness polls and shutdown requests, as the servers send them."""

from __future__ import annotations

import queue
import signal
import socket
from collections.abc import Iterator

import pytest

from braid_kernel.app.remote.args import PortRange
from braid_kernel.app.remote.comm import MAX_REQUEST, CommListener
from braid_kernel.app.remote.ports import listen_comm

Event = tuple[str, int]


@pytest.fixture
def comm() -> Iterator[tuple[CommListener, queue.Queue[Event]]]:
    events: queue.Queue[Event] = queue.Queue()
    listener = CommListener(
        listen_comm("127.0.0.1", PortRange()),
        on_shutdown=lambda: events.put(("shutdown", 1)),
        send_signal=lambda signum: events.put(("signal", signum)),
    )
    listener.start()
    yield listener, events
    listener.close()


def send(port: int, data: bytes, *, half_close: bool = False) -> None:
    """One request the way the servers send it: connect, write, close (shutdown: SHUT_WR first)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        if half_close:
            sock.shutdown(socket.SHUT_WR)


def marker(listener: CommListener, events: queue.Queue[Event]) -> list[Event]:
    """Everything handled before a final SIGUSR1 request (requests are handled in order)."""
    send(listener.port, b'{"signum": %d}' % signal.SIGUSR1)
    seen = []
    while (event := events.get(timeout=10)) != ("signal", signal.SIGUSR1):
        seen.append(event)
    return seen


def test_signum_delivers_the_signal(comm: tuple[CommListener, queue.Queue[Event]]) -> None:
    listener, events = comm
    send(listener.port, b'{"signum": 2}')
    assert events.get(timeout=10) == ("signal", signal.SIGINT)


def test_signum_zero_is_a_liveness_poll_that_signals_nothing(
    comm: tuple[CommListener, queue.Queue[Event]],
) -> None:
    listener, events = comm
    send(listener.port, b'{"signum": 0}')
    assert marker(listener, events) == []


def test_shutdown_stops_the_kernel(comm: tuple[CommListener, queue.Queue[Event]]) -> None:
    listener, events = comm
    send(listener.port, b'{"shutdown": 1}', half_close=True)
    assert events.get(timeout=10) == ("shutdown", 1)
    # the port still answers (the process has not exited yet): a poll must not call it dead
    send(listener.port, b'{"signum": 0}')
    assert marker(listener, events) == []


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not json",
        b"[1, 2]",
        b'{"signum": "9"}',
        b'{"signum": true}',
        b'{"signum": 99999}',
        b'{"shutdown": 0}',
        b'{"signum": 0, "pad": "' + b"x" * MAX_REQUEST + b'"}',
    ],
)
def test_bad_requests_are_ignored(comm: tuple[CommListener, queue.Queue[Event]], data: bytes) -> None:
    listener, events = comm
    send(listener.port, data)
    assert marker(listener, events) == []


def test_close_frees_the_port(comm: tuple[CommListener, queue.Queue[Event]]) -> None:
    listener, _ = comm
    port = listener.port
    listener.close()
    assert not listener.thread.is_alive()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=10)


def test_a_listener_closed_before_it_started_releases_its_socket() -> None:
    sock = listen_comm("127.0.0.1", PortRange())
    CommListener(sock, on_shutdown=lambda: None).close()
    assert sock.fileno() == -1
