"""How much memory a peer can make the kernel hold, channel by channel.

Anyone who can reach the ports can send bytes, with or without the key: the
signature is checked only after a message has been received.  So every socket
refuses what no Jupyter client sends before it is buffered (ZeroMQ's
``MAXMSGSIZE``, which libzmq checks per frame as the frame's size arrives, so an
oversized frame costs nothing: the peer is disconnected), and the I/O thread
reads a multipart message frame by frame, dropping one with too many frames or
bytes without building it (:func:`receive_bounded`).

ZeroMQ delivers a multipart message only once all of it has arrived, so libzmq
itself holds a message's frames until then, 64 bytes per frame plus the frame's
data: one message of a million one-byte frames costs ~64 MB inside libzmq for as
long as it takes to arrive, whatever the kernel does.  No socket option bounds
the number of frames; the kernel bounds what it does with them.

IOPub subscribers are given a per-subscriber queue of about
:data:`IOPUB_QUEUE_BYTES` (:func:`iopub_hwm`): ZeroMQ counts a high-water mark
in messages, so the kernel sets it from the size of the message it is about to
send.  A subscriber whose queue is full (it stopped reading, or reads far more
slowly than a cell prints) misses messages until it catches up; the others
are not affected, and the kernel never waits for a subscriber.
"""

from __future__ import annotations

import zmq

from braid_kernel.errors import MessageTooLarge

#: Frames in one request: identities, delimiter, signature, four JSON frames and the buffers.
REQUEST_MAX_FRAMES = 4096
#: Inbound IOPub traffic is subscriptions: one byte and a topic (only short topics are served).
IOPUB_MAX_INBOUND = 256
#: A heartbeat ping is echoed as is; clients send a few bytes (jupyter_client: ``b"ping"``).
HEARTBEAT_MAX_PING = 1024
#: Pings queued per heartbeat peer in each direction (a client has one in flight).
HEARTBEAT_HWM = 16

#: About how many bytes of IOPub messages one subscriber's queue holds.
IOPUB_QUEUE_BYTES = 128 << 20
#: The queue never holds more than this many messages: small-message bursts (a thousand
#: cells' status messages, a widget updated in a loop) stay lossless for a reader.
IOPUB_HWM_MAX = 16384
#: Nor does it refuse a message while it holds fewer than this many: a large display
#: (an image of 100 MB) still reaches a reader that has not yet read the busy status.
IOPUB_HWM_MIN = 32


def iopub_hwm(size: int) -> int:
    """The IOPub high-water mark (messages per subscriber) for sending a ``size``-byte message.

    ``IOPUB_QUEUE_BYTES`` divided by ``size`` rounded up to a power of two, within
    ``[IOPUB_HWM_MIN, IOPUB_HWM_MAX]``: a queue of 1 MiB stream messages holds 64 of
    them, one of status messages 16384.  The rounding keeps the value, and so the
    ``setsockopt`` calls, from changing with every message.
    """
    size_class = 1 << max(0, size - 1).bit_length()
    return max(IOPUB_HWM_MIN, min(IOPUB_HWM_MAX, IOPUB_QUEUE_BYTES // size_class))


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
