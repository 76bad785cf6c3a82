"""The in-memory twin of the I/O thread: frames in and out, no sockets, no threads.

:class:`MemoryTransport` takes the same collaborators as
:class:`~braid_kernel.transport.zmq_io.IOThread` (a codec, the outbox and an
``on_frames(channel, frames)`` callback) and does the same two jobs, driven
by the caller instead of a poll loop:

* :meth:`~MemoryTransport.deliver` is "a frame list arrived on ``channel``":
  it calls ``on_frames`` synchronously, on the calling thread;
* :meth:`~MemoryTransport.drain` is "the I/O thread woke up": it takes
  everything from the outbox and encodes it with
  :func:`~braid_kernel.transport.outbox.encode_items`, so stream text is
  coalesced exactly as on the wire, and returns what would have been sent.

Tests (and in-process hosts) drive the sans-IO core through it: a
:class:`~braid_kernel.routing.router.Router` behind ``on_frames`` sees the
same frames, and the client sees the same signed replies, as over ZeroMQ.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from braid_kernel.transport.outbox import Frames, Item, Outbox, encode_items
from braid_kernel.wire.channels import Channel
from braid_kernel.wire.codec import WireCodec

log = logging.getLogger("braid_kernel.transport")

OnFrames = Callable[[Channel, list[bytes]], None]


class MemoryTransport:
    """Moves frames between a caller and the kernel core without sockets.

    Differences from the I/O thread, on purpose: an exception raised by
    ``on_frames`` propagates to the caller of :meth:`deliver` (the I/O thread
    logs it and carries on), so a test sees it; and items the codec cannot
    encode are kept in :attr:`unencodable` besides being logged, so a test can
    assert on them.  Not thread-safe: one caller drives it, though any thread
    may post to the outbox meanwhile.
    """

    def __init__(self, codec: WireCodec, outbox: Outbox, on_frames: OnFrames) -> None:
        self._codec = codec
        self._outbox = outbox
        self._on_frames = on_frames
        self.unencodable: list[tuple[Item, Exception]] = []

    def deliver(self, channel: Channel, frames: Sequence[bytes]) -> None:
        """Hand one received frame list to ``on_frames``, as if it came in on ``channel``."""
        self._on_frames(channel, list(frames))

    def drain(self) -> list[tuple[Channel, Frames]]:
        """Everything posted to the outbox so far, encoded and in order (oldest first).

        Each entry is the channel a message would be sent on and its signed
        frames (identities first for replies on the ROUTER channels).  Returns
        an empty list when nothing is queued.
        """
        items = self._outbox.take()
        if not items:
            return []
        return encode_items(items, self._codec, self._record_unencodable)

    def _record_unencodable(self, item: Item, exc: Exception) -> None:
        log.error(
            "dropped an outgoing %s message that could not be encoded: %s",
            getattr(item, "msg_type", "stream"),
            exc,
        )
        self.unencodable.append((item, exc))
