"""Which queued stream text the I/O thread sends now, and which it holds back to batch.

A loop of prints wakes the I/O thread at its first write; sending what it finds each time it
wakes would cut the loop's lines into several ``stream`` messages (nbclient, papermill and
nbconvert save each as an output of its own).  So, as ipykernel does with its flush interval,
stream text that ends a drained batch is held for at most :data:`STREAM_FLUSH_INTERVAL` after the
I/O thread first saw it, and later text joins it.  Nothing else is ever held, and held text is
always the end of the FIFO: whatever is posted after it (a display, an error, the reply, the
``idle`` status, an ``input_request``) sends it first, so a cell's text arrives with its end and
order is kept.  Held text reaching :data:`~braid_kernel.transport.outbox.MAX_STREAM_CHUNK`
characters goes out at once in whole chunks (memory stays bounded), and ``sys.stdout.flush()``
sends everything, as in ipykernel.

:class:`StreamBatcher` is pure (the clock is passed in); the I/O thread feeds it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from braid_kernel.transport.outbox import MAX_STREAM_CHUNK, Item, StreamText, partial_tail, stream_chunks

# Read when used (tests change them).
STREAM_FLUSH_INTERVAL = 0.2  # seconds: ipykernel's OutStream.flush_interval
PARTIAL_LINE_HOLD = 0.005  # seconds more for a line still partial when the interval ends
CHUNK_CHECK = 0.02  # seconds between looks at held text's size while printing goes on


def stream_tail(items: list[Item]) -> int:
    """Where the run of stream text ending ``items`` starts (any parents and names);
    ``len(items)`` when the last item is not stream text."""
    start = len(items)
    while start > 0 and isinstance(items[start - 1], tuple):
        start -= 1
    return start


def _text(item: Item) -> StreamText:
    assert isinstance(item, tuple)  # only called on a stream tail
    return item


def _last_run(items: list[Item]) -> int:
    """Where the run of one parent's one stream ending ``items`` starts (the last is stream text)."""
    last = _text(items[-1])
    start = len(items) - 1
    while start > 0:
        prev = items[start - 1]
        if not (isinstance(prev, tuple) and prev[0] is last[0] and prev[1] == last[1]):
            break
        start -= 1
    return start


@dataclass(slots=True)
class StreamBatcher:
    """The stream text the I/O thread holds back, and since when."""

    held: list[Item] = field(default_factory=list)
    since: float | None = None  # when the held text's window opened

    def split(self, taken: list[Item], now: float, hold: bool = True) -> list[Item]:
        """What to send now of the held items followed by ``taken`` (the outbox's items, in
        order); the rest stays in :attr:`held`.  ``hold=False`` sends everything."""
        items = self.held + taken if self.held else taken
        self.held = []
        tail = stream_tail(items)
        if not hold or tail == len(items):
            self.since = None
            return items
        if tail > 0 or self.since is None:  # text posted after a message that was not held
            self.since = now
        age = now - self.since
        if age < STREAM_FLUSH_INTERVAL:
            items, cut = _whole_chunks_out(items, tail)
        elif age < STREAM_FLUSH_INTERVAL + PARTIAL_LINE_HOLD:
            cut = partial_tail(items)  # the end of a print's line is near: keep it with its start
        else:
            cut = len(items)
        if cut == len(items):
            self.since = None
        self.held = items[cut:]
        return items[:cut]

    def next_look(self, now: float) -> float | None:
        """Seconds until the held text must be looked at again (None: nothing held)."""
        if not self.held or self.since is None:
            return None
        ends = self.since + STREAM_FLUSH_INTERVAL
        if now >= ends:
            ends += PARTIAL_LINE_HOLD
        return max(0.0, min(ends, now + CHUNK_CHECK) - now)


def _whole_chunks_out(items: list[Item], tail: int) -> tuple[list[Item], int]:
    """``items`` and how many of them go out now while the window is open: everything before the
    stream tail, plus whole chunks once the tail holds a chunk's worth of text (the last run's
    remainder, shorter than a chunk, is held as one item)."""
    size = 0
    for item in items[tail:]:
        size += len(_text(item)[2])
    if size < MAX_STREAM_CHUNK:
        return items, tail
    run = _last_run(items)
    parent, name, _ = _text(items[run])
    chunks = list(stream_chunks([_text(item)[2] for item in items[run:]]))
    rest = chunks.pop() if len(chunks[-1]) < MAX_STREAM_CHUNK else None
    out: list[Item] = [*items[:run], *((parent, name, chunk) for chunk in chunks)]
    cut = len(out)
    if rest is not None:
        out.append((parent, name, rest))
    return out, cut
