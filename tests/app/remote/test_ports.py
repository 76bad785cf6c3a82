"""Ports picked in the gateway's range."""

from __future__ import annotations

import socket

import pytest

from braid_kernel.app.remote.args import PortRange
from braid_kernel.app.remote.ports import bind_in_range, listen_comm, pick_ports
from braid_kernel.errors import ConfigError


def free_block(size: int) -> PortRange:
    """A range of ``size`` ports starting at a port that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        lower = probe.getsockname()[1]
    lower = min(lower, 65535 - size)
    return PortRange(lower, lower + size - 1)


def test_picked_ports_are_distinct_in_range_and_free() -> None:
    port_range = free_block(200)
    ports = pick_ports("127.0.0.1", port_range, 5, exclude=frozenset({port_range.lower}))
    assert len(set(ports)) == 5
    assert all(port_range.lower < port <= port_range.upper for port in ports)
    for port in ports:  # released: the kernel's sockets can bind them
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))


def test_the_comm_socket_is_held_and_listening() -> None:
    port_range = free_block(200)
    comm = listen_comm("127.0.0.1", port_range)
    try:
        port = comm.getsockname()[1]
        assert port_range.lower <= port <= port_range.upper
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    finally:
        comm.close()


def test_a_full_range_fails_the_launch() -> None:
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    port = holder.getsockname()[1]
    try:
        with pytest.raises(ConfigError, match="no free port"):
            bind_in_range("127.0.0.1", PortRange(port, port))
    finally:
        holder.close()


def test_an_address_of_another_host_fails_the_launch() -> None:
    with pytest.raises(ConfigError, match=r"cannot bind 192\.0\.2\.1"):
        bind_in_range("192.0.2.1", PortRange())  # TEST-NET-1: never this host's
