"""A DAP client connection to pydevd, debugpy's debugger in this process.

One TCP connection (opened by pydevd towards the kernel, see :mod:`.server`),
one reader thread.  Requests are numbered by the connection (the frontend's
``seq`` numbers are not reused, so the kernel's own requests can never collide
with them); the reader routes each response to the
request it answers by ``request_seq`` and hands every event to a callback.  All
methods are safe to call from any thread; the reader thread is marked
untraced so that pydevd neither suspends nor lists it.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import socket
import threading
from collections.abc import Callable
from concurrent.futures import Future, InvalidStateError
from typing import Any

from .errors import AdapterTimeout, AdapterUnavailable, DebuggerError
from .framing import FrameDecoder, encode
from .threads import untraced

Message = dict[str, Any]
EventHandler = Callable[[Message], None]

_log = logging.getLogger(__name__)
_CHUNK = 65536


class AdapterConnection:
    """A live connection over a connected socket, until ``close``.

    ``on_event`` (an attribute: the owner may replace it) is called on the
    reader thread, in arrival order, for every DAP event; an exception it
    raises is logged and does not stop the reader.  When the peer closes the
    connection (or sends garbage), every pending and later request fails with
    :class:`AdapterUnavailable`.
    """

    def __init__(self, sock: socket.socket, on_event: EventHandler) -> None:
        self._sock = sock
        self._sock.settimeout(None)
        self.on_event = on_event
        self._seq = itertools.count(1)
        self._lock = threading.Lock()  # guards _pending, _waiters, _closed and socket writes
        self._pending: dict[int, Future[Message]] = {}
        self._waiters: dict[str, list[Future[Message]]] = {}
        self._closed = False
        self._reader = untraced(threading.Thread(target=self._read_loop, name="braid-debugpy-reader"))
        self._reader.daemon = True
        self._reader.start()

    @property
    def closed(self) -> bool:
        """True once the connection is closed, by either side."""
        with self._lock:
            return self._closed

    def send(self, command: str, arguments: dict[str, Any] | None = None) -> Future[Message]:
        """Send a request; the future resolves to the adapter's response message."""
        future: Future[Message] = Future()
        with self._lock:
            if self._closed:
                raise AdapterUnavailable("the debug adapter connection is closed")
            seq = next(self._seq)
            message: Message = {"seq": seq, "type": "request", "command": command}
            if arguments is not None:
                message["arguments"] = arguments
            frame = encode(message)
            self._pending[seq] = future
            try:
                self._sock.sendall(frame)
            except OSError as exc:
                del self._pending[seq]
                raise AdapterUnavailable(f"cannot write to the debug adapter: {exc}") from exc
        return future

    def request(self, command: str, arguments: dict[str, Any] | None = None, *, timeout: float) -> Message:
        """Send a request and wait up to ``timeout`` seconds for its response."""
        return wait(self.send(command, arguments), timeout, command)

    def expect_event(self, event: str) -> Future[Message]:
        """A future for the next ``event`` of that name; register it before causing it."""
        future: Future[Message] = Future()
        with self._lock:
            if self._closed:
                raise AdapterUnavailable("the debug adapter connection is closed")
            self._waiters.setdefault(event, []).append(future)
        return future

    def close(self) -> None:
        """Close the socket and wait for the reader; idempotent."""
        with contextlib.suppress(OSError):  # already closed by the peer
            self._sock.shutdown(socket.SHUT_RDWR)
        if threading.current_thread() is not self._reader:
            self._reader.join(timeout=5.0)
        self._sock.close()
        self._fail_all("the debug adapter connection was closed")

    def _read_loop(self) -> None:
        decoder = FrameDecoder()
        reason = "the debug adapter closed the connection"
        try:
            while data := self._sock.recv(_CHUNK):
                for message in decoder.feed(data):
                    self._dispatch(message)
        except (OSError, DebuggerError) as exc:
            reason = f"the debug adapter connection failed: {exc}"
        self._fail_all(reason)

    def _dispatch(self, message: Message) -> None:
        kind = message.get("type")
        if kind == "response":
            with self._lock:
                future = self._pending.pop(message.get("request_seq", -1), None)
            if future is not None:
                _resolve(future, message)
        elif kind == "event":
            with self._lock:
                waiters = self._waiters.pop(str(message.get("event")), [])
            for waiter in waiters:
                _resolve(waiter, message)
            try:
                self.on_event(message)
            except Exception:
                _log.exception("debug event handler failed on %r", message.get("event"))
        else:
            _log.debug("ignoring DAP message of type %r from the adapter", kind)

    def _fail_all(self, reason: str) -> None:
        with self._lock:
            self._closed = True
            futures = [*self._pending.values(), *(f for fs in self._waiters.values() for f in fs)]
            self._pending.clear()
            self._waiters.clear()
        for future in futures:
            with contextlib.suppress(InvalidStateError):  # a waiter that gave up
                future.set_exception(AdapterUnavailable(reason))


def _resolve(future: Future[Message], message: Message) -> None:
    with contextlib.suppress(InvalidStateError):  # a waiter that gave up
        future.set_result(message)


def wait(future: Future[Message], timeout: float, what: str) -> Message:
    """The future's result within ``timeout`` seconds, or :class:`AdapterTimeout`."""
    try:
        return future.result(timeout=timeout)
    except TimeoutError as exc:
        raise AdapterTimeout(f"debugpy did not answer {what!r} within {timeout:g} s") from exc
