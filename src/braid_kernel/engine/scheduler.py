"""The scheduler: cells as tasks, chained or concurrent, cancellable.

Each cell runs in its own cancel scope.  In chained mode (the default) a
cell first waits for the cell submitted before it; in concurrent mode it
starts at once.  An interrupt cancels every running cell's scope and aborts
the cells still waiting; ``%braid cancel N`` does the same for cell N only.
A failing cell with ``stop_on_error`` aborts the cells submitted after it
whose requests arrived before the failure (the ones the client queued behind
it) and that have not started: cells already running concurrently go on,
and cells sent after the failure run normally.  An interrupt reaches only the
cells whose requests arrived before it; while idle it changes nothing.

Each cell starts in the context the cells finished before it left (see
:mod:`braid_kernel.engine.carry`).

The scheduler keeps nothing of a finished cell: ``await __task__(N)`` returns at
once for a cell that finished and for one it never saw alike, so only the cells
running or waiting are looked up by number, and a cell's :class:`Done` makes an
event only for a task that waits for it (in concurrent mode, rarely anyone).
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field

import anyio
import anyio.lowlevel

from braid_kernel.engine.carry import ContextCarry
from braid_kernel.engine.cell import Cell, ErrorInfo, Outcome, Status, current_cell
from braid_kernel.engine.runner import CellRunner

ABORT_RULES_KEPT = 32
INTERRUPTED = ErrorInfo(
    "KeyboardInterrupt",
    "Interrupted by the user",
    ["\x1b[0;31mKeyboardInterrupt\x1b[0m: Interrupted by the user"],
)


def _cancelled_info(count: int) -> ErrorInfo:
    text = f"Cancelled with %braid cancel {count}"
    return ErrorInfo("KeyboardInterrupt", text, [f"\x1b[0;31mKeyboardInterrupt\x1b[0m: {text}"])


@dataclass(frozen=True, slots=True)
class _AbortRule:
    """Waiting cells numbered ``from_seq`` or later whose requests arrived
    before ``before`` (time.monotonic()) are aborted instead of run."""

    from_seq: int
    before: float

    def covers(self, entry: _Entry) -> bool:
        return entry.seq >= self.from_seq and entry.cell.received < self.before


class Done:
    """Whether a cell has finished, awaitable; the event behind it is made by the first
    task that waits (an ``anyio.Event`` holds a deque: ~0.9 kB per cell otherwise)."""

    __slots__ = ("_event", "finished")

    def __init__(self) -> None:
        self.finished = False
        self._event: anyio.Event | None = None

    def set(self) -> None:
        self.finished = True
        if self._event is not None:
            self._event.set()

    async def wait(self) -> None:
        """Return once the cell has finished (a checkpoint when it already has, as
        ``anyio.Event.wait``)."""
        if self.finished:
            await anyio.lowlevel.checkpoint()
            return
        if self._event is None:
            self._event = anyio.Event()
        await self._event.wait()


@dataclass(slots=True)
class _Entry:
    seq: int
    cell: Cell
    done: Done = field(default_factory=Done)
    scope: anyio.CancelScope | None = None
    previous: Done | None = None
    alone: bool = False  # cancelled by %braid cancel (not by an interrupt of every cell)
    interrupted_at: float | None = None  # when the interrupt that cancelled it arrived


class Ending(enum.Enum):
    """How a cell's run ended, as ``Scheduler(on_end=...)`` is told."""

    FINISHED = "finished"  # it ran to its end, ok or error
    INTERRUPTED = "interrupted"  # an interrupt: every cell running then ends so
    CANCELLED = "cancelled"  # %braid cancel N: this cell only, the others go on


#: The scheduler of the shell whose cell is running (for ``%braid mode``/``cancel``).
current_scheduler: ContextVar[Scheduler | None] = ContextVar("braid_current_scheduler", default=None)


class Scheduler:
    """Orders and runs cells for one shell."""

    def __init__(
        self,
        runner: CellRunner,
        chained: bool = True,
        after_cell: Callable[[], None] | None = None,
        on_end: Callable[[Cell, Ending], None] | None = None,
    ) -> None:
        self.runner = runner
        self.chained = chained
        self._after_cell = after_cell  # called (in the cell's thread) after each cell ran
        self._on_end = on_end  # called (in the cell's task) with how each cell that ran ended
        self._seq = 0
        self._abort_rules: list[_AbortRule] = []
        self._last: _Entry | None = None
        self._entries: dict[int, _Entry] = {}
        self._waiting_by_count: dict[int, Done] = {}  # cells not finished, by execution count
        self._context = ContextCarry()  # ContextVars from cell to cell

    async def run(self, cell: Cell, on_start: Callable[[], None] | None = None) -> Outcome:
        """Run ``cell`` when its turn comes; returns how it ended."""
        entry = _Entry(self._seq, cell)
        self._seq += 1
        previous, self._last = self._last, entry
        entry.previous = previous.done if previous is not None else None
        self._entries[entry.seq] = entry
        self._remember(entry)
        token = current_scheduler.set(self)
        try:
            if self.chained and previous is not None:
                await previous.done.wait()
            if entry.cell.cancelled is not None or any(rule.covers(entry) for rule in self._abort_rules):
                return Outcome(Status.ABORTED)
            return await self._execute(entry, on_start)
        finally:
            current_scheduler.reset(token)
            entry.done.set()
            del self._entries[entry.seq]
            self._forget(entry)

    def _remember(self, entry: _Entry) -> None:
        if entry.cell.store_history:
            self._waiting_by_count[entry.cell.execution_count] = entry.done

    def _forget(self, entry: _Entry) -> None:
        count = entry.cell.execution_count
        if self._waiting_by_count.get(count) is entry.done:  # not a later cell given the same number
            del self._waiting_by_count[count]

    async def wait_for(self, execution_count: int | None = None) -> None:
        """``await __task__()``: wait for the cell submitted before the calling
        cell, or for the cell with ``execution_count``; returns at once when
        that cell has finished or is unknown."""
        done: Done | None
        if execution_count is None:
            cell = current_cell.get()
            entry = next((e for e in self._entries.values() if e.cell is cell), None)
            done = entry.previous if entry is not None else None
        else:
            done = self._waiting_by_count.get(execution_count)
        if done is not None:
            await done.wait()

    def chain(self) -> None:
        """``__chain_execution__()``: cells submitted from now on wait for their predecessor."""
        self.chained = True

    def unchain(self) -> None:
        """``__unchain_execution__()``: cells submitted from now on start at once."""
        self.chained = False

    async def _execute(self, entry: _Entry, on_start: Callable[[], None] | None) -> Outcome:
        if on_start is not None:
            on_start()
        start = self._context.enter()
        try:
            with anyio.CancelScope() as scope:
                entry.scope = scope
                outcome = await self.runner.run(entry.cell, scope)
        finally:
            self._context.leave(start)
            if self._after_cell is not None:
                self._after_cell()
        if scope.cancelled_caught:
            info = entry.cell.cancelled or INTERRUPTED
            self.runner.publisher.iopub("error", info.content())
            outcome = Outcome(Status.ERROR, info)
        if self._on_end is not None:
            self._on_end(entry.cell, _ending(entry, outcome))
        if outcome.status is Status.ERROR and entry.cell.stop_on_error:
            # after an interrupt, the cells sent once it had arrived were meant to run
            self.abort_queued(after=entry.seq, before=entry.interrupted_at)
        return outcome

    def abort_queued(self, after: int = -1, before: float | None = None) -> None:
        """Abort the waiting cells submitted after cell number ``after`` (all by
        default) whose requests arrived before ``before`` (default: now)."""
        self._abort_rules.append(_AbortRule(after + 1, time.monotonic() if before is None else before))
        # Requests arrive within moments of their abort; old rules cover nothing new.
        del self._abort_rules[:-ABORT_RULES_KEPT]

    def interrupt(self, error: ErrorInfo = INTERRUPTED, at: float | None = None) -> None:
        """Cancel every running cell and abort the waiting ones (call on the loop);
        the cancelled cells report ``error``.  ``at`` (time.monotonic(), default now)
        is when the interrupt arrived: cells whose requests arrived later are neither
        cancelled nor aborted, even if this runs later on a loop that was busy, and
        when no cell ran by then nothing changes: as with ipykernel's SIGINT, a kernel
        between cells (idle, or about to start one that arrived just before the
        interrupt) is not interrupted, and the waiting cell runs."""
        at = time.monotonic() if at is None else at
        hit = [entry for entry in self._entries.values() if entry.cell.received <= at]
        if not any(entry.scope is not None for entry in hit):
            return
        self.abort_queued(before=at)
        for entry in hit:
            if entry.scope is not None:
                entry.cell.cancelled = entry.cell.cancelled or error
                entry.interrupted_at = at
                entry.scope.cancel()

    def running_by(self, at: float) -> bool:
        """Whether a cell whose request arrived by ``at`` is running (any thread)."""
        return any(e.scope is not None and e.cell.received <= at for e in list(self._entries.values()))

    def cancel(self, execution_count: int) -> bool:
        """``%braid cancel N``: cancel cell N if it runs, abort it if it waits.

        Returns False when no running or waiting cell has that number.
        """
        found = False
        for entry in list(self._entries.values()):
            if entry.cell.execution_count != execution_count or not entry.cell.store_history:
                continue
            found = True
            entry.cell.cancelled = _cancelled_info(execution_count)
            entry.alone = True
            if entry.scope is not None:
                entry.scope.cancel()
        return found

    def running_counts(self) -> list[int]:
        """Execution counts of the cells running now (started, not finished)."""
        return [e.cell.execution_count for e in self._entries.values() if e.scope is not None]


def _ending(entry: _Entry, outcome: Outcome) -> Ending:
    """A cancelled scope, or a KeyboardInterrupt raised into blocking code, is an interrupt
    unless ``%braid cancel`` did it."""
    if outcome.error is None or outcome.error.ename != "KeyboardInterrupt":
        return Ending.FINISHED
    return Ending.CANCELLED if entry.alone else Ending.INTERRUPTED
