"""The outbox: every outgoing message, from any thread, in one FIFO.

Any thread may post; only the I/O thread drains.  Posting is a deque append
plus, when the I/O thread is asleep, one byte written to a wake-up pipe, so a
``print`` costs next to nothing.  Draining turns items into signed frames on
the I/O thread, which also coalesces consecutive stream writes with the same
parent and stream name into one ``stream`` message: a loop of 100,000 prints
becomes a few dozen messages, in order, with nothing lost.  While the I/O
thread holds stream text back to batch it (:attr:`Outbox.holding`), only what
is not stream text wakes it (and :meth:`Outbox.flush_streams`).

Because every message goes through the one FIFO, a cell's stream text always
reaches the client before the display data, reply or ``idle`` status it
posted after it.

A thread that posts while :data:`BACKLOG` items wait to be taken (a cell
displaying or updating a widget in a loop) waits until the I/O thread has sent
them, :data:`BACKLOG_WAIT` at the most (backpressure).  While a cell computes, the
I/O thread gets the GIL back only every switch interval after each frame it sends
(pyzmq releases the GIL for every frame), so without the wait a burst of 2,000
display messages went out mostly after the cell had ended: the client then read
them all at the end (kbench's display_throughput cell: send → idle 648 → 525 ms,
median of 16 kernels).  It also bounds what such a burst holds in memory.  Stream text does not
wait: it is coalesced instead, and ``print`` stays a deque append.
"""

from __future__ import annotations

import contextlib
import os
import threading
from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

from braid_kernel.wire.channels import Channel
from braid_kernel.wire.codec import WireCodec
from braid_kernel.wire.message import JsonDict


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message to encode and send on the I/O thread."""

    channel: Channel
    msg_type: str
    content: JsonDict
    parent: JsonDict = field(default_factory=dict)
    metadata: JsonDict | None = None
    identities: tuple[bytes, ...] = ()
    buffers: tuple[Any, ...] = ()
    header: JsonDict | None = None


StreamText = tuple[JsonDict, str, str]
"""Text written to a stream: ``(parent header, stream name, text)``; a plain
tuple because it is built on every ``print``."""

Item = Outgoing | StreamText
Frames = list[bytes]
# Split coalesced text above 32 Ki characters into several messages: with IOPub's queue of
# 4096 messages per subscriber (transport.limits), one that stops reading holds ~130 MB of it.
# (16 Ki made kbench stream_throughput ~14% slower: more, smaller messages.)
MAX_STREAM_CHUNK = 32 << 10
#: Items waiting to be taken at which a posting thread (not the I/O thread) waits for them to be sent.
BACKLOG = 64
#: The longest such a wait lasts (seconds): a drainer that does not drain delays a post this much.
BACKLOG_WAIT = 0.05


class Outbox:
    """Thread-safe FIFO of outgoing messages, drained by the I/O thread.

    The drainer is woken through a pipe (:attr:`wake_fd`, polled by the I/O
    thread) or, when ``wakeup`` is given, by calling it instead: an
    in-process kernel passes a thread-safe "schedule a drain on the host's
    event loop", and no pipe is opened.  ``wakeup`` is called at most once
    per :meth:`take`, from whichever thread posts first.
    """

    def __init__(self, wakeup: Callable[[], object] | None = None) -> None:
        # Public for the hot path of print: append to ``items``, then call
        # :meth:`wake` when ``asleep`` is true (what :meth:`post` does).
        self.items: deque[Item] = deque()
        self._wakeup = wakeup
        self._read_fd = self._write_fd = -1
        if wakeup is None:
            self._read_fd, self._write_fd = os.pipe()
            os.set_blocking(self._read_fd, False)
            os.set_blocking(self._write_fd, False)
        self.asleep = True
        # The drainer holds stream text back (see transport.batching): stream writes, which wake
        # it only when ``asleep``, join that text quietly; any other post wakes it.
        self.holding = False
        self.flush_requested = False  # sys.stdout.flush() asked for held text to go out now
        # The drainer's thread ident: its own posts need no wake-up (it drains after handling
        # what it received), and skipping the pipe write saves a GIL round trip per request
        # while a cell holds the GIL.  Set while a drainer thread runs: posts wait for it only then.
        self.drainer: int | None = None
        self._takes = 0  # how many times take() ran
        self._sent = 0  # the number of the last take whose items the drainer has sent
        # Reentrant: a signal handler that posts may interrupt a post on its way into the wait.
        self._drained = threading.Condition(threading.RLock())
        self._waiting = 0  # threads waiting in _wait_until_sent

    @property
    def wake_fd(self) -> int:
        """Readable when items are waiting; the I/O thread polls it."""
        return self._read_fd

    def post(self, item: Item) -> None:
        """Queue an item (any thread, also from signal handlers); wait while the backlog is long
        (see the module docstring)."""
        takes = self._takes  # before appending: a later take has the item
        self.items.append(item)
        if self.asleep or self.holding:
            self.wake()
        if len(self.items) >= BACKLOG:
            self._wait_until_sent(takes)

    def _wait_until_sent(self, takes: int) -> None:
        """Wait until a take after the ``takes``-th has been sent (at most :data:`BACKLOG_WAIT`),
        unless no drainer thread runs or the caller is the drainer."""
        drainer = self.drainer
        if drainer is None or drainer == threading.get_ident():
            return
        with self._drained:
            self._waiting += 1
            try:
                self._drained.wait_for(lambda: self._sent > takes or self.drainer is None, BACKLOG_WAIT)
            finally:
                self._waiting -= 1

    @property
    def waiting(self) -> int:
        """How many posts are waiting for the drainer to send the backlog."""
        return self._waiting

    def sent(self) -> None:
        """(Drainer, after sending what it took) Release the posts waiting for those items."""
        self._sent = self._takes
        if self._waiting:
            with self._drained:
                self._drained.notify_all()

    def stop_draining(self) -> None:
        """(Drainer, as its thread ends) Posts no longer wait for it."""
        self.drainer = None
        with self._drained:
            self._drained.notify_all()

    def wake(self) -> None:
        """Wake the I/O thread unless a wake-up is already pending (or it is the caller)."""
        if (self.asleep or self.holding) and threading.get_ident() != self.drainer:
            self.asleep = self.holding = False
            self.post_wakeup()

    def hold(self) -> None:
        """(I/O thread, after :meth:`take`) Stream text is held: let only other posts wake it."""
        self.holding = True
        self.asleep = False

    def flush_streams(self) -> None:
        """Ask for held stream text to go out now (``sys.stdout.flush()``)."""
        self.flush_requested = True
        if self.holding:
            self.wake()

    def post_wakeup(self) -> None:
        """Make the wake-up pipe readable (a full pipe already is), or call ``wakeup``."""
        if self._wakeup is not None:
            self._wakeup()
            return
        with contextlib.suppress(BlockingIOError, OSError):
            os.write(self._write_fd, b"\0")

    def send(
        self,
        channel: Channel,
        msg_type: str,
        content: JsonDict,
        parent: JsonDict | None = None,
        *,
        metadata: JsonDict | None = None,
        identities: Sequence[bytes] = (),
        buffers: Sequence[Any] = (),
    ) -> None:
        """Queue a message (convenience for :meth:`post`)."""
        self.post(
            Outgoing(channel, msg_type, content, parent or {}, metadata, tuple(identities), tuple(buffers))
        )

    def stream(self, parent: JsonDict, name: str, text: str) -> None:
        """Queue stream text; coalesced with its neighbours when drained."""
        self.items.append((parent, name, text))
        if self.asleep:
            self.wake()

    def take(self, woken: bool = True) -> list[Item]:
        """Everything queued so far (I/O thread only); re-arms the wake-up.

        ``woken``: the wake-up pipe was reported readable, so empty it (a pipe
        read costs a GIL round trip; a byte not read now is reported again).
        """
        if woken and self._read_fd >= 0:
            with contextlib.suppress(BlockingIOError):
                os.read(self._read_fd, 4096)
        self.holding = False
        self.asleep = True  # before popping: a post after this line wakes us again
        self._takes += 1
        items = []
        pop = self.items.popleft
        while self.items:
            items.append(pop())
        return items

    def close(self) -> None:
        for fd in (self._read_fd, self._write_fd):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._read_fd = self._write_fd = -1


def partial_tail(items: list[Item]) -> int:
    """Where the trailing run of one stream's text starts if that text ends mid-line, else
    ``len(items)``.

    ``print(x)`` writes ``x`` and then ``"\n"``: a drainer woken between the two would send two
    messages, and nbclient (papermill, nbconvert) would save two outputs for one line.  The I/O
    thread holds such a tail back a moment more when its batching interval ends (see
    :mod:`~braid_kernel.transport.batching`), so the line's end joins it; what follows a partial
    line in the FIFO is never held, so order is kept.
    """
    n = len(items)
    last = items[-1] if n else None
    if not isinstance(last, tuple) or last[2].endswith("\n"):
        return n
    parent, name = last[0], last[1]
    start = n - 1
    while start > 0:
        prev = items[start - 1]
        if not (isinstance(prev, tuple) and prev[0] is parent and prev[1] == name):
            break
        start -= 1
    return start


def encode_items(
    items: list[Item], codec: WireCodec, on_error: Callable[[Item, Exception], None]
) -> list[tuple[Channel, Frames]]:
    """Encode drained items into frames, merging runs of stream text (a list of
    :func:`iter_encoded`)."""
    return list(iter_encoded(items, codec, on_error))


def iter_encoded(
    items: list[Item],
    codec: WireCodec,
    on_error: Callable[[Item, Exception], None],
    on_message: Callable[[Outgoing], object] | None = None,
) -> Iterator[tuple[Channel, Frames]]:
    """Encode drained items into frames one message at a time, merging runs of stream text.

    Text JSON cannot carry is repaired by the codec (see
    :func:`~braid_kernel.wire.jsonutil.dumps`).  An item that still cannot be encoded (an
    object of unknown type, a buffer that is not bytes) is reported through ``on_error`` and
    replaced by what tells its request (see :func:`undeliverable`); the others still go out.
    A sender that sends each message before taking the next holds one encoded message at a
    time, whatever a cell printed.  ``on_message`` sees each non-stream item once it is
    encoded (or replaced).
    """
    i, n = 0, len(items)
    while i < n:
        item = items[i]
        if isinstance(item, tuple):
            parent, name, first = item
            texts = [first]
            i += 1
            while i < n:
                nxt = items[i]
                if not (isinstance(nxt, tuple) and nxt[0] is parent and nxt[1] == name):
                    break
                texts.append(nxt[2])
                i += 1
            for chunk in stream_chunks(texts):
                stream = Outgoing(Channel.IOPUB, "stream", {"name": name, "text": chunk}, parent)
                yield from _encode_one(stream, codec, on_error)
            continue
        i += 1
        encoded = _encode_one(item, codec, on_error)
        if on_message is not None:
            on_message(item)
        yield from encoded


def _encode_one(
    item: Outgoing, codec: WireCodec, on_error: Callable[[Item, Exception], None]
) -> list[tuple[Channel, Frames]]:
    """``item`` encoded; or, when it cannot be, what tells its request (or nothing)."""
    try:
        return [(item.channel, _encode(item, codec))]
    except Exception as exc:  # the codec, or a user object's conversion hook, refused it
        on_error(item, exc)
        notice = undeliverable(item, exc)
    if notice is None:
        return []
    try:
        return [(notice.channel, _encode(notice, codec))]
    except Exception as exc:
        on_error(notice, exc)
        return []


def _encode(item: Outgoing, codec: WireCodec) -> Frames:
    return codec.encode(
        item.msg_type,
        item.content,
        item.parent,
        metadata=item.metadata,
        identities=item.identities,
        buffers=item.buffers,
        header=item.header,
    )


def undeliverable(item: Outgoing, exc: Exception) -> Outgoing | None:
    """What goes out instead of ``item``, which could not be encoded (``exc``).

    A reply becomes an error reply to the same request on the same channel (keeping the
    ``execution_count`` of an execute reply), so its client does not wait forever; any
    other message becomes a line on the request's stderr naming what was lost.  None for a
    message that belongs to no request, or for such a notice itself: those are only logged.
    """
    reason = f"{type(exc).__name__}: {exc}"
    if item.channel is not Channel.IOPUB and item.msg_type.endswith("_reply"):
        content: JsonDict = {
            "status": "error",
            "ename": type(exc).__name__,
            "evalue": f"the kernel could not send its {item.msg_type}: {exc}",
            "traceback": [],
        }
        count = item.content.get("execution_count") if isinstance(item.content, dict) else None
        if isinstance(count, int):
            content["execution_count"] = count
        return Outgoing(item.channel, item.msg_type, content, item.parent, None, item.identities)
    if not item.parent or (item.msg_type == "stream" and item.content.get("name") == "stderr"):
        return None
    text = f"[braid] a {item.msg_type} message of this request could not be sent ({reason})\n"
    return Outgoing(Channel.IOPUB, "stream", {"name": "stderr", "text": text}, item.parent)


def stream_chunks(texts: list[str]) -> Iterator[str]:
    """``"".join(texts)`` cut into pieces of :data:`MAX_STREAM_CHUNK` characters (the last one
    shorter, none empty), never joining more than one piece at a time: a cell that printed
    450 MB is not copied into one 450 MB string.  Per text only C-level work is done (a batch
    holds one text per ``print`` argument and newline: hundreds of thousands of them)."""
    ends = list(accumulate(map(len, texts)))
    total = ends[-1] if ends else 0
    chunk = MAX_STREAM_CHUNK
    if total <= chunk:
        if total:
            yield "".join(texts)
        return
    for start in range(0, total, chunk):
        stop = min(start + chunk, total)
        first = bisect_right(ends, start)  # the text holding character ``start``
        last = bisect_left(ends, stop)  # the text holding character ``stop - 1``
        head = texts[first]
        head_begin = ends[first] - len(head)
        if first == last:
            yield head[start - head_begin : stop - head_begin]
            continue
        tail = texts[last]
        parts = texts[first + 1 : last]
        parts.insert(0, head[start - head_begin :])
        parts.append(tail[: stop - (ends[last] - len(tail))])
        yield "".join(parts)
