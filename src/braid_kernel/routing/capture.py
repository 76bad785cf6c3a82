"""Output capture: a running cell's output taken aside instead of sent as is.

Reactive mode shows each reactive cell's output inside one display it owns, so a later re-run
can replace it in place (see :mod:`braid_kernel.features.react.engine.slot`).  While such a cell runs,
:data:`current_capture` holds its :class:`OutputCapture`; the publisher and the output streams
offer it every output first.  Tasks and threads the cell starts inherit the context, so their
output is captured too.  Outside reactive cells the variable is None and nothing changes.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Protocol

from braid_kernel.wire.message import JsonDict


class OutputCapture(Protocol):
    """Takes a cell's output; returns False for what it leaves to be sent normally."""

    def iopub(self, msg_type: str, content: JsonDict, metadata: JsonDict | None) -> bool:
        """An IOPub message the cell publishes (``display_data``, ``error``, ...)."""
        ...

    def stream(self, name: str, text: str) -> bool:
        """Text the cell writes to stdout or stderr."""
        ...


current_capture: ContextVar[OutputCapture | None] = ContextVar("braid_current_capture", default=None)
