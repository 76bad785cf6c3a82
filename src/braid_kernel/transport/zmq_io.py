"""The I/O thread: every ZeroMQ socket of the kernel lives and dies here.

One thread owns the shell, control and stdin ROUTER sockets and the IOPub
XPUB socket (a socket belongs to one thread).  It polls them together with
the outbox's wake-up pipe, hands each incoming frame list to ``on_frames``
(still on this thread), and sends whatever the outbox holds.  Because it
never runs user code, a cell that blocks the main thread cannot stop it:
``zmq.Poller.poll`` releases the GIL while it waits.

New IOPub subscribers are greeted with ``iopub_welcome`` (JEP 65): the XPUB
socket hands every subscription to this thread (``XPUB_MANUAL``), which accepts
only the empty topic or a prefix of ``<IDS|MSG>`` (the topics that match the
kernel's messages) and ignores the others, so a subscription costs nothing.
What each socket accepts and queues is bounded: see
:mod:`braid_kernel.transport.limits`.

The loop is supervised (:mod:`~braid_kernel.transport.supervisor`): if it fails, it is
restarted on the same thread with its sockets, and the messages already encoded but not yet
sent go out first; only the message being sent when it failed is lost.
"""

from __future__ import annotations

import errno
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, TypeVar

import zmq

from braid_kernel.errors import MessageTooLarge
from braid_kernel.transport.batching import StreamBatcher
from braid_kernel.transport.busy import BusyWatch
from braid_kernel.transport.heap import HeapTrimmer
from braid_kernel.transport.limits import (
    IOPUB_HWM,
    IOPUB_MAX_INBOUND,
    IOPUB_RCVHWM,
    REQUEST_MAX_FRAMES,
    Backlog,
    message_size,
    receive_bounded,
)
from braid_kernel.transport.outbox import (
    Frames,
    Item,
    Outbox,
    Outgoing,
    iter_encoded,
)
from braid_kernel.transport.supervisor import GiveUp, log_give_up, supervise
from braid_kernel.transport.throttle import ThrottledLog
from braid_kernel.wire.channels import Channel
from braid_kernel.wire.codec import DELIMITER, WireCodec
from braid_kernel.wire.connection import ConnectionInfo

_SNDMORE = int(zmq.SNDMORE)

T = TypeVar("T")

log = logging.getLogger("braid_kernel.transport")

OnFrames = Callable[[Channel, list[bytes]], None]

SEND_BATCH_BYTES = 4 << 20  # encoded messages held before they are sent (see _flush)

_ROUTERS = (Channel.SHELL, Channel.CONTROL, Channel.STDIN)


def make_server_socket(
    ctx: zmq.Context[zmq.Socket[bytes]],
    kind: int,
    info: ConnectionInfo,
    channel: str,
    configure: Callable[[zmq.Socket[bytes]], None] | None = None,
) -> zmq.Socket[bytes]:
    """A socket bound to ``channel``'s endpoint, a CurveZMQ server if keys are set.

    ``configure`` sets the socket's own options *before* it binds: a client that connects at
    once (they poll for the kernel from its launch) gets a pipe made with the options in force
    when it connects, so an option set after bind may miss it (an IOPub high-water mark of
    1,000 instead of none dropped the tail of bursts).
    """
    sock = ctx.socket(kind)
    sock.linger = 1000
    if info.curve:
        sock.curve_server = True
        sock.curve_secretkey = info.curve_secretkey
        sock.curve_publickey = info.curve_publickey
    if configure is not None:
        configure(sock)
    _bind_with_retry(sock, info.endpoint(channel))
    return sock


BIND_RETRIES = 40  # x 50 ms: the client picked the port and released it; another process may
BIND_RETRY_DELAY = 0.05  # hold it for a moment (e.g. an outgoing connection from that port)


def _bind_with_retry(sock: zmq.Socket[bytes], endpoint: str) -> None:
    for attempt in range(BIND_RETRIES):
        try:
            sock.bind(endpoint)
            return
        except zmq.ZMQError as exc:
            if exc.errno != errno.EADDRINUSE or attempt == BIND_RETRIES - 1:
                sock.close(linger=0)
                raise
            log.info("%s is in use; retrying", endpoint)  # routine when kernels start in parallel
            time.sleep(BIND_RETRY_DELAY)


def _router_options(max_bytes: int) -> Callable[[zmq.Socket[bytes]], None]:
    def configure(sock: zmq.Socket[bytes]) -> None:
        sock.router_handover = 1  # a reconnecting client with the same identity takes over
        sock.maxmsgsize = max_bytes  # a larger frame disconnects its sender before it is buffered

    return configure


def _configure_iopub(sock: zmq.Socket[bytes]) -> None:
    # Every subscription comes to this thread, which decides which to apply (and welcomes them).
    sock.setsockopt(zmq.XPUB_MANUAL, 1)
    sock.maxmsgsize = IOPUB_MAX_INBOUND
    # libzmq moves every subscription waiting in a peer's pipe to an unbounded list of its own
    # whenever the socket is used: a pipe of one keeps that list short under a flood.
    sock.rcvhwm = IOPUB_RCVHWM
    # A bounded queue per subscriber (see limits.IOPUB_HWM), large enough for bursts.
    sock.sndhwm = IOPUB_HWM


class IOThread:
    """Owns the message sockets; call :meth:`start`, then :meth:`stop` once.

    With a ``backlog``, the shell and control sockets are not read while it says
    their channel is full (see :class:`~braid_kernel.transport.limits.Backlog`);
    the thread releases each request whose ``idle`` status it sends.
    """

    def __init__(
        self,
        ctx: zmq.Context[zmq.Socket[bytes]],
        info: ConnectionInfo,
        codec: WireCodec,
        outbox: Outbox,
        on_frames: OnFrames,
        *,
        backlog: Backlog | None = None,
        on_give_up: GiveUp = log_give_up,
    ) -> None:
        """``on_give_up``: called if the loop keeps failing (see the module docstring)."""
        self._ctx = ctx
        self._info = info
        self._codec = codec
        self._outbox = outbox
        self._on_frames = on_frames
        self._stopping = threading.Event()
        self._sockets: dict[Channel, zmq.Socket[bytes]] = {}
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._batcher = StreamBatcher()  # stream text held back to be sent in fewer messages
        self._busy_watch: BusyWatch[Any] | None = None
        self._unsent: deque[tuple[Channel, Frames]] = deque()  # encoded, not yet sent
        self._on_give_up = on_give_up
        self._drops = ThrottledLog(log)
        self._heap = HeapTrimmer()
        self._backlog = backlog
        self._paused: set[Channel] = set()
        self._pauses = ThrottledLog(log)
        self._thread = threading.Thread(target=self._main, name="braid-io", daemon=True)
        self._thread.pydev_do_not_trace = True  # type: ignore[attr-defined]  # hidden from debugpy
        self._thread.is_pydev_daemon_thread = True  # type: ignore[attr-defined]

    def start(self) -> None:
        """Bind the sockets (errors re-raised here) and start serving."""
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            raise self._error

    def when_busy_for(self, seconds: float, action: Callable[[T], None], mark: Callable[[], T]) -> None:
        """Call ``action(mark())`` once, on this thread (both must be quick), the first time the
        kernel has been busy for ``seconds`` without a break, ``mark()`` taken when that busy
        period began (see :mod:`braid_kernel.transport.busy`)."""
        self._busy_watch = BusyWatch(seconds, action, mark)

    def stop(self, timeout: float = 2.0) -> None:
        """Send what is queued, then close the sockets and end the thread."""
        self._stopping.set()
        self._outbox.post_wakeup()
        if self._thread.ident is not None:  # not started: the kernel failed before serving
            self._thread.join(timeout)

    # ------------------------------------------------------------ thread body
    def _bind(self) -> None:
        router_options = _router_options(self._codec.max_bytes)
        for channel in _ROUTERS:
            self._sockets[channel] = make_server_socket(
                self._ctx, zmq.ROUTER, self._info, channel.value, router_options
            )
        self._sockets[Channel.IOPUB] = make_server_socket(
            self._ctx, zmq.XPUB, self._info, "iopub", _configure_iopub
        )

    def _main(self) -> None:
        try:
            self._bind()
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        self._outbox.drainer = threading.get_ident()
        poller = zmq.Poller()
        for sock in self._sockets.values():
            poller.register(sock, zmq.POLLIN)
        poller.register(self._outbox.wake_fd, zmq.POLLIN)
        try:
            supervise("I/O", lambda: self._loop(poller), self._on_give_up)
        finally:
            try:
                self._flush(hold=False)
            except Exception:
                log.exception("could not send the last messages")
            self._outbox.stop_draining()
            for sock in self._sockets.values():
                sock.close(linger=1000)

    def _loop(self, poller: zmq.Poller) -> None:
        by_socket = {sock: channel for channel, sock in self._sockets.items()}
        wake_fd = self._outbox.wake_fd
        self._send_unsent()  # after a restart: what the failed run had encoded
        while not self._stopping.is_set():
            timeout = None
            left = self._batcher.next_look(time.monotonic())
            if left is not None:  # held stream text: look again when its time is up
                timeout = 0 if self._outbox.flush_requested else math.ceil(left * 1000)  # ms
            watch = self._busy_watch
            if watch is not None and not watch.done:  # see when_busy_for
                wait = watch.look()
                if wait is not None:
                    timeout = wait if timeout is None else min(timeout, wait)
            if self._heap.due is not None:  # a trim after a drop or a burst (see transport.heap)
                wait = self._heap.run_due()
                if wait is not None:
                    timeout = wait if timeout is None else min(timeout, wait)
            self._pause_full_channels(poller)
            events = poller.poll(timeout)
            woken = False
            for sock_or_fd, _ in events:
                channel = by_socket.get(sock_or_fd)
                if channel is Channel.IOPUB:
                    self._subscriptions()
                elif channel is not None:
                    self._receive(channel, sock_or_fd)
                elif sock_or_fd == wake_fd:
                    woken = True
            self._flush(woken)

    def _pause_full_channels(self, poller: zmq.Poller) -> None:
        if self._backlog is None or not (self._backlog.any_full or self._paused):
            return
        for channel in (Channel.SHELL, Channel.CONTROL):
            full = self._backlog.full(channel)
            if full == (channel in self._paused):
                continue
            poller.modify(self._sockets[channel], 0 if full else zmq.POLLIN)
            if full:
                self._paused.add(channel)
                self._pauses.warning(
                    "%d %s requests not answered yet: no more are read until some are",
                    self._backlog.pending(channel),
                    channel.value,
                )
            else:
                self._paused.discard(channel)
                log.info("reading %s requests again", channel.value)

    def _release_answered(self, item: Outgoing) -> None:
        if item.msg_type == "status" and item.content.get("execution_state") == "idle":
            assert self._backlog is not None
            self._backlog.release(item.parent.get("msg_id"))

    def _receive(self, channel: Channel, sock: zmq.Socket[bytes]) -> None:
        # Drain what is ready, bounded so one busy channel cannot starve the others.
        for _ in range(64):
            if self._backlog is not None and self._backlog.any_full and self._backlog.full(channel):
                return
            try:
                frames = receive_bounded(sock, REQUEST_MAX_FRAMES, self._codec.max_bytes)
            except zmq.Again:
                return
            except MessageTooLarge as exc:
                # What libzmq held for the message is free now: give it back to the system first
                # (a million one-byte frames: ~64 MB, which the C heap would keep).
                self._heap.request()
                self._drops.warning("dropped a message on %s: %s", channel.value, exc)
                continue
            try:
                self._on_frames(channel, frames)
            except Exception:
                log.exception("handling a %s message failed", channel.value)

    def _subscriptions(self) -> None:
        # At most 64 per wake-up, as for requests; each is applied at once (SUBSCRIBE acts on the
        # peer whose subscription was read last), and each topic is welcomed once afterwards: every
        # peer subscribed by then receives that welcome, and a flood of subscriptions costs one
        # welcome per batch instead of one each.
        sock = self._sockets[Channel.IOPUB]
        welcome: set[bytes] = set()
        for _ in range(64):
            try:
                event = sock.recv(zmq.NOBLOCK)
            except zmq.Again:
                break
            # b"\x01" + topic subscribes.  Unsubscriptions (b"\x00") are not applied: jupyter
            # clients never send one, and a subscriber that leaves is removed by ZeroMQ.
            topic = event[1:]
            if event[:1] == b"\x01" and DELIMITER.startswith(topic):
                sock.setsockopt(zmq.SUBSCRIBE, topic)  # for the peer that sent this subscription
                welcome.add(topic)
        for topic in welcome:
            frames = self._codec.encode("iopub_welcome", {"subscription": topic.decode()})
            self._send(Channel.IOPUB, [topic, *frames] if topic else frames)

    def _flush(self, woken: bool = True, hold: bool = True) -> None:
        outbox = self._outbox
        if outbox.flush_requested:  # read before taking: the flush covers what was written before
            outbox.flush_requested = hold = False
        items = self._batcher.split(outbox.take(woken), time.monotonic(), hold)
        if self._batcher.held:
            outbox.hold()
        try:
            self._send_items(items)
        finally:
            outbox.sent()  # posts waiting on a backlog go on (see transport.outbox)

    def _send_items(self, items: list[Item]) -> None:
        if not items:
            return
        self._heap.traffic(len(items))
        if self._busy_watch is not None and not self._busy_watch.done:
            self._busy_watch.saw(items)
        # Encode, then send, a few MiB at a time: encoding everything first would hold a copy
        # of all a cell printed (one loop of prints can queue hundreds of MB); sending each message
        # as it is encoded hands the GIL to the printing thread between every two (each send
        # releases it), which made a burst of prints ~15% slower.
        release = self._release_answered if self._backlog is not None else None
        size = 0
        for channel, frames in iter_encoded(items, self._codec, _log_unencodable, release):
            self._unsent.append((channel, frames))
            size += message_size(frames)
            if size >= SEND_BATCH_BYTES:
                self._send_unsent()
                size = 0
        self._send_unsent()

    def _send_unsent(self) -> None:
        unsent = self._unsent
        while unsent:
            channel, frames = unsent.popleft()  # before sending: a send that raises loses only itself
            self._send(channel, frames)

    def _send(self, channel: Channel, frames: Frames) -> None:
        # Frame by frame with a plain int flag: what send_multipart does, without combining
        # zmq.SNDMORE (an IntFlag) with the flags for every frame, which made it 2.4x slower
        # (12 against 5 us for a 7-frame message).
        sock, copy = self._sockets[channel], len(frames[-1]) < 65536
        try:
            for frame in frames[:-1]:
                sock.send(frame, _SNDMORE, copy=copy)
            sock.send(frames[-1], 0, copy=copy)
        except zmq.ZMQError as exc:
            # e.g. the peer on a ROUTER socket went away: the message is undeliverable.
            log.warning("could not send on %s: %s", channel.value, exc)


def _log_unencodable(item: Item, exc: Exception) -> None:
    log.error(
        "dropped an outgoing %s message that could not be encoded: %s",
        getattr(item, "msg_type", "stream"),
        exc,
    )
