"""Recording what a cell publishes, so it can be published again later (cache mode).

A :class:`Recording` is an output tap (:mod:`braid_kernel.routing.taps`) pushed around one
cell's run by :class:`~braid_kernel.features.cache.engine.runner.CachingRunner`: the publisher and
the output streams offer it every output of that cell, in order, and it keeps a copy (taking
none, so the output is still sent or shown): stream text, ``display_data``,
``update_display_data``, ``clear_output``, ``execute_result``.  Tasks and threads the cell starts
inherit the context, so their output is recorded too while the cell runs; once the recording is
closed it takes nothing more.  In reactive mode the recording sits inside the cell's display
(the reactive runner wraps this one), so it sees the output before the display takes it, and a
cache hit replays it into the display.

Messages that cannot be replayed faithfully (comm traffic such as a widget's, an ``error`` shown
by a cell that went on, binary buffers, output parented to another request) do not go into the
events: they set :attr:`Recording.blocked`, and cache mode does not store the cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from braid_kernel.wire.message import JsonDict

#: IOPub messages a recording keeps and replays.
REPLAYABLE = frozenset({"display_data", "update_display_data", "clear_output", "execute_result"})
#: IOPub messages that never block a recording (bookkeeping).
IGNORED = frozenset({"status", "execute_input", "shutdown_reply", "debug_event"})


# Not slotted: a slotted dataclass pickles through dataclasses.fields(), ~20 us per event.
@dataclass(frozen=True)
class StreamEvent:
    """Text the cell wrote to stdout or stderr."""

    name: str
    text: str


@dataclass(frozen=True)
class MessageEvent:
    """An IOPub message the cell published (one of :data:`REPLAYABLE`)."""

    msg_type: str
    content: JsonDict
    metadata: JsonDict | None = None


OutputEvent = StreamEvent | MessageEvent


@dataclass(slots=True)
class Recording:
    """The outputs of one cell, in the order they were sent.

    ``parent`` is the header of the cell's request: output parented to anything else
    (published explicitly for another request) blocks the recording.
    """

    parent: JsonDict
    events: list[OutputEvent] = field(default_factory=list)
    blocked: str | None = None  # why the outputs cannot be replayed, if they cannot
    closed: bool = False

    # ------------------------------------------------------------------ OutputTap

    def stream(self, name: str, text: str) -> bool:
        """Keep the text; never takes it."""
        if not self.closed:
            self.events.append(StreamEvent(name, text))
        return False

    def iopub(
        self,
        msg_type: str,
        content: JsonDict,
        parent: JsonDict | None,
        metadata: JsonDict | None,
        buffers: Sequence[Any],
    ) -> bool:
        """Keep the message (or block the recording); never takes it."""
        self.message(msg_type, content, parent, metadata, buffers)
        return False

    # ------------------------------------------------------------------

    def message(
        self,
        msg_type: str,
        content: JsonDict,
        parent: JsonDict | None,
        metadata: JsonDict | None,
        buffers: Sequence[Any],
    ) -> None:
        if self.closed or msg_type in IGNORED:
            return
        if msg_type not in REPLAYABLE:
            self.block(f"it published {msg_type}, which a replay cannot recreate")
        elif parent is not self.parent:
            self.block(f"it published {msg_type} for another request")
        elif buffers:
            self.block(f"it published {msg_type} with binary buffers")
        else:
            self.events.append(MessageEvent(msg_type, content, metadata))

    def compacted(self) -> list[OutputEvent]:
        """The events with consecutive text of one stream joined (fewer, smaller events)."""
        out: list[OutputEvent] = []
        for event in self.events:
            last = out[-1] if out else None
            if isinstance(event, StreamEvent) and isinstance(last, StreamEvent) and last.name == event.name:
                out[-1] = StreamEvent(event.name, last.text + event.text)
            else:
                out.append(event)
        return out

    def block(self, reason: str) -> None:
        if self.blocked is None:
            self.blocked = reason

    def close(self) -> None:
        """Take nothing more (tasks or threads of the cell may outlive it)."""
        self.closed = True
