"""The comm port: how a gateway signals, polls and stops a kernel it launched.

The server opens a TCP connection per request, writes one JSON object and closes its side:

* ``{"signum": 0}`` — liveness (gateway_provisioners polls this way every few seconds): the
  accepted connection is the answer, nothing is done;
* ``{"signum": N}`` — deliver signal N to the kernel process (SIGINT interrupts a cell, SIGTERM
  and SIGKILL end the process, as the servers' ``terminate`` and ``kill`` expect);
* ``{"shutdown": 1}`` — stop the kernel.  The servers send it right after a ``shutdown_request`` on
  the control channel (and for a restart); braid then shuts down as for that request.

The port keeps answering until the process exits, so a poll never reports a live kernel dead.
The port has no authentication in this contract (the stock launchers' neither): it must be
reachable only from the gateway's network.  A request is at most :data:`MAX_REQUEST` bytes and
must arrive within :data:`REQUEST_TIMEOUT` seconds; others are logged and dropped.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import selectors
import signal
import socket
import threading
from collections.abc import Callable

__all__ = ("MAX_REQUEST", "REQUEST_TIMEOUT", "CommListener")

log = logging.getLogger("braid_kernel.remote")

MAX_REQUEST = 4096  # bytes: the servers send a few dozen
REQUEST_TIMEOUT = 5.0  # seconds one connection may take to send its request


class CommListener:
    """Serves the comm port on a daemon thread until :meth:`close`.

    ``sock`` is a listening socket (it is closed with the listener); ``on_shutdown`` is called
    (on the listener's thread) for ``{"shutdown": 1}``; ``send_signal`` delivers a signal number
    to the kernel process (default: to this process).
    """

    def __init__(
        self,
        sock: socket.socket,
        on_shutdown: Callable[[], None],
        send_signal: Callable[[int], None] | None = None,
    ) -> None:
        self._sock = sock
        self._on_shutdown = on_shutdown
        self._send_signal = send_signal or (lambda signum: os.kill(os.getpid(), signum))
        self._wake_read, self._wake_write = socket.socketpair()
        self._closed = threading.Event()
        self.thread = threading.Thread(target=self._serve, name="braid-comm-port", daemon=True)

    @property
    def port(self) -> int:
        port: int = self._sock.getsockname()[1]
        return port

    def start(self) -> None:
        self.thread.start()

    def close(self) -> None:
        """Stop accepting and close the port (any thread); waits for the listener to end."""
        if self._closed.is_set():
            return
        self._closed.set()
        with contextlib.suppress(OSError):
            self._wake_write.send(b"\0")
        if self.thread.ident is not None and self.thread is not threading.current_thread():
            self.thread.join()
        for sock in (self._sock, self._wake_read, self._wake_write):
            sock.close()

    def _serve(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self._sock, selectors.EVENT_READ)
            selector.register(self._wake_read, selectors.EVENT_READ)
            while not self._closed.is_set():
                ready = {key.fileobj for key, _ in selector.select()}
                if self._closed.is_set() or self._wake_read in ready:
                    return
                try:
                    conn, _ = self._sock.accept()
                except OSError:
                    log.debug("comm port: accept failed", exc_info=True)
                    continue
                with conn:
                    self._handle(_read_request(conn))

    def _handle(self, request: object) -> None:
        if not isinstance(request, dict):
            if request is not None:
                log.warning("comm port: ignoring a request that is not a JSON object: %.200r", request)
            return
        signum = request.get("signum")
        if signum is not None:
            self._deliver(signum)
        if request.get("shutdown"):
            log.info("comm port: shutdown requested by the gateway")
            self._on_shutdown()

    def _deliver(self, signum: object) -> None:
        if not isinstance(signum, int) or isinstance(signum, bool):
            log.warning("comm port: ignoring signum %.50r (not an integer)", signum)
            return
        if signum == 0:
            return  # a liveness poll: accepting the connection was the answer
        if signum not in signal.valid_signals():
            log.warning("comm port: ignoring signum %d (no such signal)", signum)
            return
        log.info("comm port: signal %s requested by the gateway", signal.Signals(signum).name)
        self._send_signal(signum)


def _read_request(conn: socket.socket) -> object:
    """The JSON value the peer wrote before closing its side; None if nothing or not JSON."""
    conn.settimeout(REQUEST_TIMEOUT)
    data = b""
    try:
        while len(data) <= MAX_REQUEST:
            chunk = conn.recv(MAX_REQUEST + 1 - len(data))
            if not chunk:
                break
            data += chunk
    except OSError as exc:
        log.warning("comm port: incomplete request (%s)", exc)
        return None
    if len(data) > MAX_REQUEST:
        log.warning("comm port: ignoring a request over %d bytes", MAX_REQUEST)
        return None
    if not data:
        return None
    try:
        request: object = json.loads(data)
    except ValueError:
        log.warning("comm port: ignoring a request that is not JSON: %.200r", data)
        return None
    return request
