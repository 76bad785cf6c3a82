"""Output taps: the one place that decides whether a cell's output goes to the outbox as is.

A tap sees a running cell's output before it is sent and may take it.  Features push theirs
around a cell's run with :func:`tapping`: cache mode a
:class:`~braid_kernel.features.cache.engine.recording.Recording` (it copies every output and
takes none, for replay), reactive mode an
:class:`~braid_kernel.features.react.engine.slot.OutputSlot` (it takes the output and shows it in
the cell's own display).  :data:`current_taps` is a ContextVar, so tasks and threads the cell
starts offer their output to the same taps while the cell runs.

The publisher (IOPub messages and stream text) and the output streams (``print``) call
:func:`offer_iopub` / :func:`offer_stream` and send only what no tap took.  The taps are offered
the output innermost first (the last pushed), and the first that takes it ends the offer: a tap
pushed inside another sees the output first, as a ``redirect_stdout`` inside another would.
Outside taps (every kernel without cache or reactive mode) the offer is one ContextVar read.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from typing import Any, Protocol

from braid_kernel.wire.message import JsonDict

__all__ = ("OutputTap", "current_taps", "offer_iopub", "offer_stream", "tapping")


class OutputTap(Protocol):
    """Sees a cell's output before it is sent; returns True for what it takes (not sent)."""

    def iopub(
        self,
        msg_type: str,
        content: JsonDict,
        parent: JsonDict | None,
        metadata: JsonDict | None,
        buffers: Sequence[Any],
    ) -> bool:
        """An IOPub message the cell publishes (``display_data``, ``error``, ...), with the
        header it is parented to (None: no request)."""
        ...

    def stream(self, name: str, text: str) -> bool:
        """Text the cell writes to stdout or stderr."""
        ...


current_taps: ContextVar[tuple[OutputTap, ...]] = ContextVar("braid_output_taps", default=())
"""The taps of the running code, innermost first (empty outside tapped cells)."""


@contextlib.contextmanager
def tapping(tap: OutputTap) -> Iterator[OutputTap]:
    """Offer the output of the code run inside (and of the tasks and threads it starts while
    inside) to ``tap`` before the taps already there."""
    token = current_taps.set((tap, *current_taps.get()))
    try:
        yield tap
    finally:
        current_taps.reset(token)


def offer_iopub(
    msg_type: str,
    content: JsonDict,
    parent: JsonDict | None,
    metadata: JsonDict | None = None,
    buffers: Sequence[Any] = (),
) -> bool:
    """Offer an IOPub message to the current taps; True when one took it (do not send it)."""
    for tap in current_taps.get():  # noqa: SIM110 (a loop: no generator built per print)
        if tap.iopub(msg_type, content, parent, metadata, buffers):
            return True
    return False


def offer_stream(name: str, text: str) -> bool:
    """Offer stream text to the current taps; True when one took it (do not send it)."""
    for tap in current_taps.get():  # noqa: SIM110 (a loop: no generator built per print)
        if tap.stream(name, text):
            return True
    return False
