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
from itertools import repeat
from operator import eq, is_, itemgetter

from braid_kernel.transport.outbox import MAX_STREAM_CHUNK, Item, Outgoing, partial_tail

# Read when used (tests change them).
STREAM_FLUSH_INTERVAL = 0.2  # seconds: ipykernel's OutStream.flush_interval
PARTIAL_LINE_HOLD = 0.005  # seconds more for a line still partial when the interval ends
CHUNK_CHECK = 0.02  # seconds between looks at held text's size while printing goes on

_PARENT, _NAME, _TEXT = itemgetter(0), itemgetter(1), itemgetter(2)  # of a stream item


def stream_tail(items: list[Item]) -> int:
    """Where the run of stream text ending ``items`` starts (any parents and names);
    ``len(items)`` when the last item is not stream text."""
    # C-level passes only: a loop of prints queues two items per line, and this runs on every look.
    kinds = list(map(type, items))
    kinds.reverse()
    try:
        return len(items) - kinds.index(Outgoing)
    except ValueError:  # stream text only
        return 0


def _texts(items: list[Item]) -> list[str]:
    """The text of stream items (a stream tail: tuples only)."""
    return list(map(_TEXT, items))  # type: ignore[arg-type]


def _last_run(items: list[Item]) -> int:
    """Where the run of one parent's one stream ending ``items`` starts (a stream tail).  C-level
    passes only: a loop of prints queues two items per line."""
    parent, name, _ = items[-1]  # type: ignore[misc]
    parents, names = list(map(_PARENT, items)), list(map(_NAME, items))  # type: ignore[arg-type]
    # The usual case, one cell printing to one stream.  (``count`` compares by equality: a header
    # equal to the parent's names the same request, so merging its text keeps attribution.)
    if parents.count(parent) == len(items) and names.count(name) == len(items):
        return 0
    parents.reverse()
    names.reverse()
    run = len(items)
    for same in (list(map(is_, parents, repeat(parent))), list(map(eq, names, repeat(name)))):
        if False in same:
            run = min(run, same.index(False))
    return len(items) - run


@dataclass(slots=True)
class StreamBatcher:
    """The stream text the I/O thread holds back, since when, and how many characters."""

    held: list[Item] = field(default_factory=list)
    since: float | None = None  # when the held text's window opened
    size: int = 0  # characters held

    def split(self, taken: list[Item], now: float, hold: bool = True) -> list[Item]:
        """What to send now of the held items followed by ``taken`` (the outbox's items, in
        order); the rest stays in :attr:`held`.  ``hold=False`` sends everything."""
        held, self.held = self.held, []
        items = held + taken if held else taken
        # Where the stream tail starts, and its size, from the new items only (held is a tail).
        tail, size = 0, self.size
        if taken:
            new = stream_tail(taken)
            tail = len(held) + new if new else 0
            added = sum(map(len, _texts(taken[new:])))
            size = added if new else size + added
        self.size = 0
        if not hold or tail == len(items):
            self.since = None
            return items
        if tail > 0 or self.since is None:  # text posted after a message that was not held
            self.since = now
        age = now - self.since
        if age < STREAM_FLUSH_INTERVAL:
            cut = tail
            if size >= MAX_STREAM_CHUNK:
                items, cut = _whole_chunks_out(items, tail)
        elif age < STREAM_FLUSH_INTERVAL + PARTIAL_LINE_HOLD:
            cut = partial_tail(items)  # the end of a print's line is near: keep it with its start
        else:
            cut = len(items)
        if cut == len(items):
            self.since = None
            return items
        self.held = items[cut:]
        self.size = size if cut == tail else sum(map(len, _texts(self.held)))
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
    """``items`` and how many of them go out now: everything before the stream tail and the
    tail up to its last whole chunk; the last run's remainder, shorter than a chunk, is held.

    The texts themselves go out (the sender cuts them into chunks one message at a time); only the
    text the boundary falls in is cut in two.  Cutting all the held text into chunks here would
    copy it at once: an I/O thread that could not run for a while finds hundreds of MB queued
    (a cell printing one 1 MiB string in a loop queues references to one object)."""
    run = tail + _last_run(items[tail:])
    texts = _texts(items[run:])
    rest = sum(map(len, texts)) % MAX_STREAM_CHUNK
    if not rest:
        return items, len(items)
    at = len(items)
    while rest:  # from the end: the texts making up the remainder
        at -= 1
        text = texts[at - run]
        if len(text) > rest:
            parent, name, _ = items[at]  # type: ignore[misc]
            cut = len(text) - rest
            split = [*items[:at], (parent, name, text[:cut]), (parent, name, text[cut:]), *items[at + 1 :]]
            return split, at + 1
        rest -= len(text)
    return items, at
