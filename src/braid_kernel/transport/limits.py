"""How much memory a peer can make the kernel hold, channel by channel.

Anyone who can reach the ports can send bytes, with or without the key: the
signature is checked only after a message has been received.  So every socket
refuses what no Jupyter client sends before it is buffered (ZeroMQ's
``MAXMSGSIZE``, which libzmq checks per frame as the frame's size arrives, so an
oversized frame costs nothing: the peer is disconnected), and the I/O thread
reads a multipart message frame by frame, dropping one with too many frames or
bytes without building it (:func:`receive_bounded`).

ZeroMQ delivers a multipart message only once all of it has arrived, so libzmq
itself holds a message's frames until then, 64 bytes per frame (a ``msg_t``)
plus the frame's data: one message of a million one-byte frames costs ~64 MB
inside libzmq for as long as it takes to arrive, whatever the kernel does.  No
socket option bounds it (libzmq's ``pipe_t::write`` puts each frame in the pipe
but makes it readable only with the last one, ``ypipe_t::write``/``flush``; the
high-water mark, ``pipe_t::check_hwm``, counts complete messages; ``MAXMSGSIZE``
is checked per frame, ``v2_decoder_t::size_ready``), and a peer that writes
ZMTP itself can keep a message open and growing as long as it likes: only
CurveZMQ keeps a peer without the keys from sending frames at all.  The kernel
bounds what it does with the frames, and once it has dropped such a message it
gives the memory back to the system (:mod:`~braid_kernel.transport.heap`).

Each IOPub subscriber has a queue of :data:`IOPUB_HWM` messages, and stream text
goes out in messages of at most ``outbox.MAX_STREAM_CHUNK`` characters, so a
subscriber that stops reading holds about 130 MB of printed text (more if the
cell displays large images).  A subscriber whose queue is full (it stopped
reading, or reads far more slowly than a cell prints) misses messages until it
has read half of it; the others are not affected, and the kernel never waits
for a subscriber.  The high-water mark is constant: libzmq resumes a full queue
after its reader has read a number of messages derived from the mark, so raising
the mark while a queue is full can leave that subscriber stalled for good.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from braid_kernel.errors import MessageTooLarge
from braid_kernel.wire.channels import Channel

if TYPE_CHECKING:  # the in-process kernel uses the Backlog without ZeroMQ (Pyodide has none)
    import zmq

#: Frames in one request: identities, delimiter, signature, four JSON frames and the buffers.
REQUEST_MAX_FRAMES = 4096
#: Inbound IOPub traffic is subscriptions: one byte and a topic (only short topics are served).
#: The limit also applies to the handshake: CurveZMQ's INITIATE command is ~350 bytes.
IOPUB_MAX_INBOUND = 1024
#: Subscriptions queued per IOPub peer (a client sends one).  libzmq moves what waits in the
#: pipe to an unbounded list each time the socket is used: with more than one, a flood of
#: subscriptions outgrows the I/O thread's reading of them.
IOPUB_RCVHWM = 1
#: A heartbeat ping is echoed as is; clients send a few bytes (jupyter_client: ``b"ping"``).
#: Like every limit here, it also applies to handshake commands (CurveZMQ's: ~350 bytes).
HEARTBEAT_MAX_PING = 1024
#: Pings queued per heartbeat peer in each direction (a client has one in flight).
HEARTBEAT_HWM = 16

#: Messages queued per IOPub subscriber: bursts of small messages (a thousand cells' status
#: messages, a widget updated in a loop) reach a subscriber that reads, while one that does
#: not costs at most this many messages (4096 x 32 Ki characters of stream text: ~130 MB).
IOPUB_HWM = 4096


def message_size(frames: list[bytes]) -> int:
    """The bytes of a frame list (what its queue entry costs)."""
    return sum(len(frame) for frame in frames)


def receive_bounded(sock: zmq.Socket[bytes], max_frames: int, max_bytes: int) -> list[bytes]:
    """Receive one multipart message without blocking, at most ``max_frames`` frames and
    ``max_bytes`` bytes of it.

    Raises ``zmq.Again`` when no message waits and
    :class:`~braid_kernel.errors.MessageTooLarge` once a limit is passed: the frames
    still unread are then discarded one by one without copying them, so the kernel
    never holds the message a second time.
    """
    import zmq  # here, not at the top: the Backlog below serves kernels without ZeroMQ too

    frames = [sock.recv(zmq.NOBLOCK)]
    size = len(frames[0])
    while sock.getsockopt(zmq.RCVMORE):
        if len(frames) >= max_frames or size > max_bytes:
            count = len(frames)
            frames.clear()
            while sock.getsockopt(zmq.RCVMORE):
                sock.recv(zmq.NOBLOCK, copy=False)  # freed at once; a Frame does not copy
                count += 1
            raise MessageTooLarge(
                f"message of {count} frames ({size}+ bytes) exceeds the limit of {max_frames} frames "
                f"and {max_bytes} bytes"
            )
        frame = sock.recv(zmq.NOBLOCK)
        frames.append(frame)
        size += len(frame)
    if size > max_bytes:
        raise MessageTooLarge(f"message of {size} bytes exceeds the {max_bytes}-byte limit")
    return frames


#: Requests handed to the shells (and not yet answered) before the shell socket is no longer read.
SHELL_BACKLOG = 4096
#: The same for the control thread.
CONTROL_BACKLOG = 1024
#: And at most this many bytes of them, per channel.
BACKLOG_BYTES = 256 << 20


class Backlog:
    """Requests the I/O thread handed on and that have not been answered, per channel.

    The router admits each request it hands to the control thread or a shell
    (:meth:`admit`); the I/O thread releases it when it sends the request's
    ``idle`` status (:meth:`release`).  While a channel holds ``limit`` requests
    or ``max_bytes`` bytes of them (:meth:`full`), the I/O thread stops reading
    its socket: ZeroMQ then queues what follows (up to its receive high-water
    mark, then in the sending client), so a client that sends requests faster
    than the kernel answers them fills its own memory, not the kernel's.
    Requests answered on the I/O thread itself (kernel_info, comm_info, ...) are
    not counted: they are answered before the next one is read.
    """

    def __init__(
        self,
        limits: dict[Channel, int] | None = None,
        max_bytes: int = BACKLOG_BYTES,
    ) -> None:
        self._limits = limits or {Channel.SHELL: SHELL_BACKLOG, Channel.CONTROL: CONTROL_BACKLOG}
        self._max_bytes = max_bytes
        self._lock = threading.Lock()  # admitted by the I/O thread, or the main one during startup
        self._pending: dict[str, list[tuple[Channel, int]]] = {}
        self._count = dict.fromkeys(self._limits, 0)
        self._bytes = dict.fromkeys(self._limits, 0)
        self.any_full = False  # read on every pass of the I/O thread: one attribute, no call

    def admit(self, channel: Channel, msg_id: str, size: int) -> None:
        """Count a request handed on (no-op for a channel without a limit)."""
        if channel not in self._limits:
            return
        with self._lock:
            self._pending.setdefault(msg_id, []).append((channel, size))
            self._count[channel] += 1
            self._bytes[channel] += size
            self.any_full = self.any_full or self.full(channel)

    def release(self, msg_id: object) -> None:
        """The request ``msg_id`` was answered (its idle status sent); unknown ids are ignored."""
        if not isinstance(msg_id, str) or msg_id not in self._pending:
            return
        with self._lock:
            entries = self._pending.get(msg_id)
            if not entries:
                return
            channel, size = entries.pop()
            if not entries:
                del self._pending[msg_id]
            self._count[channel] -= 1
            self._bytes[channel] -= size
            if self.any_full:
                self.any_full = any(self.full(c) for c in self._limits)

    def full(self, channel: Channel) -> bool:
        """Whether the I/O thread should stop reading ``channel`` for now."""
        limit = self._limits.get(channel)
        return limit is not None and (
            self._count[channel] >= limit or self._bytes[channel] >= self._max_bytes
        )

    def pending(self, channel: Channel) -> int:
        """Requests of ``channel`` handed on and not yet answered."""
        return self._count.get(channel, 0)
