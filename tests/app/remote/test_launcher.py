"""The announcer: the payload leaves only once the kernel serves; then the comm port is served."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from braid_kernel.app.remote.args import Encryption, LaunchRequest, PortRange
from braid_kernel.app.remote.launcher import Announcer, kernel_connection
from braid_kernel.app.remote.payload import ServerKey
from braid_kernel.app.remote.ports import listen_comm
from tests.app.remote.server import FakeResponseServer

NOT_YET = 0.5  # seconds the server waits to see that nothing was sent (the negative check)


@pytest.fixture
def server() -> Iterator[FakeResponseServer]:
    fake = FakeResponseServer()
    yield fake
    fake.close()


def announcer_for(server: FakeResponseServer, address: str | None = None) -> Announcer:
    host, port = (address or server.address).split(":")
    request = LaunchRequest(
        "k-1", host, int(port), server.public_key, PortRange(), Encryption.DISABLED, "127.0.0.1"
    )
    comm = listen_comm("127.0.0.1", PortRange())
    info = kernel_connection(request, comm.getsockname()[1])
    return Announcer(request, ServerKey.from_text(server.public_key), info, comm)


def test_the_payload_waits_for_the_kernel_to_serve(server: FakeResponseServer) -> None:
    announcer = announcer_for(server)
    serving, stopped = threading.Event(), threading.Event()
    try:
        announcer.start(serving, stopped.set)
        assert server.receive_raw(timeout=NOT_YET) is None, "announced before the kernel served"
        serving.set()
        info = server.receive(timeout=30)
        assert info["kernel_id"] == "k-1"
        assert announcer.thread is not None
        announcer.thread.join(30)
        # the comm port is served from then on
        with socket.create_connection(("127.0.0.1", info["comm_port"]), timeout=10) as comm:
            comm.sendall(b'{"shutdown": 1}')
        assert stopped.wait(30)
        assert not announcer.failed
    finally:
        announcer.close()


def test_an_unreachable_server_stops_the_kernel(server: FakeResponseServer) -> None:
    with socket.socket() as closed:  # bound, not listening: connection refused
        closed.bind(("127.0.0.1", 0))
        announcer = announcer_for(server, f"127.0.0.1:{closed.getsockname()[1]}")
        serving, stopped = threading.Event(), threading.Event()
        serving.set()
        try:
            announcer.start(serving, stopped.set)
            assert stopped.wait(30)
            assert announcer.thread is not None
            announcer.thread.join(30)
            assert announcer.failed
        finally:
            announcer.close()
    assert announcer.comm_sock.fileno() == -1  # the comm port is released
