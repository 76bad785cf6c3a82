"""``braid-kernel launch``: a kernel started by Enterprise Gateway or gateway_provisioners.

The order is what makes a bad setup fail the launch instead of looking started:

1. everything decidable from the arguments is checked: the ``cryptography`` package, the server's
   key, the kernel options, CurveZMQ when the server requires it;
2. the comm port is bound and held, the channels' ports are picked in the range, and the
   kernel's sockets bind them (:func:`~braid_kernel.app.launch.serve`);
3. the kernel is built and its main shell serves (the startup gate opens);
4. only then is the connection info sent to the response address, and the comm port served.

No connection file is written: the connection info (HMAC key, CurveZMQ keys) lives in this
process and in the encrypted payload only, so nothing is left behind however the process ends
(the servers' ``kill`` is a SIGKILL).  ``%connect_info`` accordingly says there is no file.

If the payload cannot be delivered, the kernel shuts down and the command exits with status 1:
a kernel nobody can find must not run on.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import zmq

from braid_kernel.app.collector import StartupCollector
from braid_kernel.app.config import KernelConfig
from braid_kernel.app.launch import prepare_process, serve
from braid_kernel.app.remote.args import Encryption, LaunchRequest
from braid_kernel.app.remote.comm import CommListener
from braid_kernel.app.remote.payload import ServerKey, encrypt_payload, require_cryptography
from braid_kernel.app.remote.ports import listen_comm, pick_ports
from braid_kernel.app.support import check_supported
from braid_kernel.errors import BraidError, ConfigError
from braid_kernel.wire.connection import ConnectionInfo

if TYPE_CHECKING:
    from braid_kernel.app.kernel import Kernel

__all__ = (
    "RESPONSE_TIMEOUT",
    "Announcer",
    "connection_payload",
    "kernel_connection",
    "run_remote_kernel",
    "send_payload",
)

log = logging.getLogger("braid_kernel.remote")

RESPONSE_TIMEOUT = 30.0  # seconds to reach the response address (the servers wait 30 s by default)
EXIT_UNANNOUNCED = 1  # the kernel served but the server could not be told where


def _curve_keys(encryption: Encryption) -> tuple[bytes, bytes] | tuple[None, None]:
    if encryption is Encryption.DISABLED:
        return None, None
    if not zmq.has("curve"):
        if encryption is Encryption.REQUIRED:
            raise ConfigError(
                "the gateway requires transport encryption but this libzmq has no CurveZMQ "
                "(install pyzmq wheels, which include it)"
            )
        log.warning("transport encryption asked for ('auto') but libzmq has no CurveZMQ: serving plaintext")
        return None, None
    public, secret = zmq.curve_keypair()
    return public, secret


def kernel_connection(request: LaunchRequest, comm_port: int) -> ConnectionInfo:
    """Fresh connection info for this launch: ports picked in the range (other than
    ``comm_port``), a random HMAC key, CurveZMQ keys if the server asked for encryption."""
    public, secret = _curve_keys(request.encryption)
    shell, iopub, stdin, control, hb = pick_ports(request.ip, request.port_range, 5, frozenset({comm_port}))
    return ConnectionInfo(
        transport="tcp",
        ip=request.ip,
        shell_port=shell,
        iopub_port=iopub,
        stdin_port=stdin,
        control_port=control,
        hb_port=hb,
        key=secrets.token_hex(32).encode("ascii"),
        curve_publickey=public,
        curve_secretkey=secret,
    )


def connection_payload(info: ConnectionInfo, request: LaunchRequest, comm_port: int) -> dict[str, Any]:
    """The connection info as the server reads it, with what it needs to manage the process."""
    payload: dict[str, Any] = {
        "shell_port": info.shell_port,
        "iopub_port": info.iopub_port,
        "stdin_port": info.stdin_port,
        "control_port": info.control_port,
        "hb_port": info.hb_port,
        "ip": info.ip,
        "key": info.key.decode("ascii"),
        "transport": info.transport,
        "signature_scheme": info.signature_scheme,
        "kernel_name": "",
        "pid": os.getpid(),
        "pgid": os.getpgid(0),
        "comm_port": comm_port,
        "kernel_id": request.kernel_id,
    }
    if info.curve_publickey is not None and info.curve_secretkey is not None:
        # jupyter_client reads both (its clients only use the public one as the server key).
        payload["curve_publickey"] = info.curve_publickey.decode("ascii")
        payload["curve_secretkey"] = info.curve_secretkey.decode("ascii")
    return payload


def send_payload(request: LaunchRequest, payload: bytes, timeout: float = RESPONSE_TIMEOUT) -> None:
    """Deliver ``payload`` to the response address; the server reads until we close.  OSError
    if it cannot be reached."""
    address = (request.response_host, request.response_port)
    with socket.create_connection(address, timeout=timeout) as conn:
        conn.sendall(payload)
        conn.shutdown(socket.SHUT_WR)


class Announcer:
    """Tells the server about the kernel once it serves, then serves the comm port."""

    def __init__(
        self, request: LaunchRequest, key: ServerKey, info: ConnectionInfo, comm: socket.socket
    ) -> None:
        self.request = request
        self.key = key
        self.info = info
        self.comm_sock = comm
        self.listener: CommListener | None = None
        self.failed = False
        self._lock = threading.Lock()
        self._closed = False
        self.thread: threading.Thread | None = None  # the announcing thread, once started

    def attach(self, kernel: Kernel) -> None:
        """Called with the built kernel (before it serves): announce it when its gate opens."""
        self.start(kernel.transport.gate.opened, kernel.stop)

    def start(self, serving: threading.Event, stop: Callable[[], None]) -> None:
        """Once ``serving`` is set, send the payload and serve the comm port (``stop`` ends the
        kernel: on ``{"shutdown": 1}``, or when the server cannot be reached)."""
        self.thread = threading.Thread(
            target=self._announce, args=(serving, stop), name="braid-announce", daemon=True
        )
        self.thread.start()

    def _announce(self, serving: threading.Event, stop: Callable[[], None]) -> None:
        serving.wait()
        comm_port = self.comm_sock.getsockname()[1]
        try:
            payload = encrypt_payload(connection_payload(self.info, self.request, comm_port), self.key)
            send_payload(self.request, payload)
        except (OSError, ValueError) as exc:
            where = f"{self.request.response_host}:{self.request.response_port}"
            log.critical("could not send the connection info to %s (%s): the kernel shuts down", where, exc)
            self.failed = True
            stop()
            return
        with self._lock:
            if self._closed:  # the kernel ended while the payload was on its way
                return
            listener = CommListener(self.comm_sock, on_shutdown=stop)
            listener.start()
            self.listener = listener
        log.info(
            "kernel %s announced to %s; comm port %d",
            self.request.kernel_id,
            self.request.response_host,
            comm_port,
        )

    def close(self) -> None:
        """Stop serving the comm port (the kernel has ended)."""
        with self._lock:
            self._closed = True
            if self.listener is not None:
                self.listener.close()
            else:
                self.comm_sock.close()


def run_remote_kernel(
    config: KernelConfig, request: LaunchRequest, collector: StartupCollector | None = None
) -> int:
    """Launch a kernel for a gateway (see the module docstring) and serve until shutdown
    (``collector``: see :func:`~braid_kernel.app.launch.serve`)."""
    prepare_process(config)
    try:
        require_cryptography()
        key = ServerKey.from_text(request.public_key)
        check_supported(config)
        comm = listen_comm(request.ip, request.port_range)
        try:
            info = kernel_connection(request, comm.getsockname()[1])
            announcer = Announcer(request, key, info, comm)
        except BaseException:
            comm.close()
            raise
        try:
            status = serve(config, info, on_built=announcer.attach, collector=collector)
        finally:
            announcer.close()
        return EXIT_UNANNOUNCED if announcer.failed else status
    except BraidError as exc:
        print(f"braid-kernel launch: {exc}", file=sys.__stderr__)
        return 2
    except (OSError, zmq.ZMQError) as exc:  # a socket that would not bind
        print(f"braid-kernel launch: cannot bind the kernel's sockets: {exc}", file=sys.__stderr__)
        return 2
