"""A cell: one execute_request on its way through the engine."""

from __future__ import annotations

import enum
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from braid_kernel.wire.message import JsonDict


@dataclass(slots=True, weakref_slot=True)  # weakly referenced by what a feature tracks per cell
class Cell:
    """The code to run and what running it collects.

    ``raw`` is what the user typed; ``code`` is the Python source after
    IPython's transformations (magics, ``!cmd``); ``filename`` is the name it
    is compiled under (see :mod:`braid_kernel.engine.cellfiles`).
    """

    raw: str
    code: str
    execution_count: int
    filename: str
    store_history: bool = True
    silent: bool = False
    stop_on_error: bool = True
    cell_id: str | None = None
    received: float = 0.0  # when its request arrived (time.monotonic())
    payloads: list[JsonDict] = field(default_factory=list)
    metadata: JsonDict = field(default_factory=dict)  # added to the reply's metadata
    # Set by the scheduler that cancels the cell (an interrupt, %braid cancel): the error it
    # reports for it, which the shell also keeps as the cell's exception.
    cancelled: ErrorInfo | None = None

    def add_payload(self, payload: JsonDict) -> None:
        """Attach a payload (pager text, ``ask_exit``, ``set_next_input``) to the reply."""
        if payload.get("source") == "set_next_input":
            # Only the last set_next_input counts, as in IPython.
            self.payloads[:] = [p for p in self.payloads if p.get("source") != "set_next_input"]
        self.payloads.append(payload)


current_cell: ContextVar[Cell | None] = ContextVar("braid_current_cell", default=None)


class Status(enum.Enum):
    OK = "ok"
    ERROR = "error"
    ABORTED = "aborted"


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    """A cell's exception as the protocol carries it."""

    ename: str
    evalue: str
    traceback: list[str]

    def content(self) -> JsonDict:
        return {"ename": self.ename, "evalue": self.evalue, "traceback": self.traceback}


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a cell ended."""

    status: Status
    error: ErrorInfo | None = None
    result: Any = None
