"""Ports in the gateway's range: the comm port (held) and the five channels' (picked, then bound).

The comm port's socket is bound here and kept, so nothing can take it.  The channels' ports are
chosen the way jupyter_client chooses a local kernel's: each is bound by a plain TCP socket, all
are released together, and the kernel's ZeroMQ sockets bind them right after (retrying briefly if
another process holds one for a moment; see :mod:`~braid_kernel.transport.zmq_io`).  A bind that
still fails fails the launch before the server hears of the kernel.
"""

from __future__ import annotations

import errno
import random
import socket

from braid_kernel.app.remote.args import PortRange
from braid_kernel.errors import ConfigError

__all__ = ("bind_in_range", "listen_comm", "pick_ports")

TRIES_PER_PORT = 100  # random candidates tried in a range before giving up
COMM_BACKLOG = 8  # the server connects once per request, one at a time


def _candidates(port_range: PortRange) -> list[int]:
    if port_range.any_port:
        return [0] * 10  # the OS picks an unused ephemeral port (retried if it is excluded)
    rng = random.SystemRandom()
    return [rng.randint(port_range.lower, port_range.upper) for _ in range(TRIES_PER_PORT)]


def bind_in_range(ip: str, port_range: PortRange, exclude: frozenset[int] = frozenset()) -> socket.socket:
    """A TCP socket bound to ``ip`` on a free port of ``port_range`` not in ``exclude``.

    Raises :class:`ConfigError` when the address cannot be bound or no port was free.
    """
    last_error: OSError | None = None
    for port in _candidates(port_range):
        if port in exclude:
            continue
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.bind((ip, port))
        except OSError as exc:
            sock.close()
            if exc.errno not in (errno.EADDRINUSE, errno.EACCES):
                raise ConfigError(f"cannot bind {ip}: {exc}") from None
            last_error = exc
            continue
        if sock.getsockname()[1] in exclude:  # an ephemeral port handed out twice
            sock.close()
            continue
        return sock
    span = "any port" if port_range.any_port else f"{port_range.lower}..{port_range.upper}"
    raise ConfigError(f"no free port on {ip} in {span}: {last_error}")


def pick_ports(
    ip: str, port_range: PortRange, count: int, exclude: frozenset[int] = frozenset()
) -> list[int]:
    """``count`` distinct free ports of ``port_range`` on ``ip``, none in ``exclude`` (released
    for the caller to bind at once)."""
    held: list[socket.socket] = []
    try:
        for _ in range(count):
            taken = exclude | {sock.getsockname()[1] for sock in held}
            held.append(bind_in_range(ip, port_range, frozenset(taken)))
        return [sock.getsockname()[1] for sock in held]
    finally:
        for sock in held:
            sock.close()


def listen_comm(ip: str, port_range: PortRange) -> socket.socket:
    """The comm port's listening socket, bound in ``port_range``."""
    sock = bind_in_range(ip, port_range)
    sock.listen(COMM_BACKLOG)
    return sock
