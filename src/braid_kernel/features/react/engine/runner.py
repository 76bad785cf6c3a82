"""Reactive mode: running a cell re-runs the cells that depend on it.

:class:`ReactiveRunner` wraps the shell's cell runner (the scheduler calls it like any runner,
so re-runs happen inside the triggering cell's turn and cancel scope: chained cells wait for the
whole propagation, and an interrupt stops it).  Switched off, it passes cells straight through.

For each cell the user runs (not silent, stored in history):

1. **Deleted cells** named in the request's ``deletedCells`` metadata leave the graph; the names
   they defined leave the namespace, and their dependents re-run (now waiting).
2. **Analyse and place** the cell (:mod:`~braid_kernel.engine.analysis`, then
   :class:`~braid_kernel.features.react.engine.graph.DataflowGraph`).  Its key is the frontend's
   ``cellId``; without one, the names it defines (or, when it defines nothing, its code).  A
   conflict or a cycle is reported as the cell's error and the cell does not run.
3. **Plan**: the cell, every cell depending on it (transitively), and — when the cell refines a
   name (``df = df.dropna()``) whose current value is not its provider's (the cell ran before)
   — the chain from the first cell defining that name, so the cell sees the upstream value and
   not its own previous output.  The plan runs in topological order, each cell once.  In
   concurrent mode independent branches run at the same time.
4. **Run** each cell with its output captured into its display
   (:mod:`~braid_kernel.features.react.engine.slot`: the slot is the run's output tap,
   :mod:`braid_kernel.routing.taps`).  A cell reading a name that is neither in the
   namespace nor a builtin does not run: it shows ``None`` and waits until a cell defines the
   name.  A cell whose provider failed in this plan is skipped.
5. **Reply**: ``metadata.braid`` of the triggering cell's reply lists ``reran`` (cell keys, in
   the order they ran), and when not empty ``failed``, ``skipped``, ``waiting`` (cells) and
   ``waiting_for`` (names the triggering cell misses).

**Lazy mode** (:attr:`ReactiveRunner.lazy`) keeps steps 1-2 and runs only the cell itself (and,
when it refines a name, the upstream chain that restores its input, as in step 3); every cell
depending on what ran, and the dependents of deleted cells, become *stale* instead of running.
The reply adds ``stale``: every stale cell, in dependency order.  A stale cell stops being stale
when it runs (by hand, or through :meth:`ReactiveRunner.run_stale_after` / a :class:`StaleRun`,
which run every stale cell in dependency order); its dependents stay stale until they run.

**Progress**: besides the graph listeners (told after every reactive run), progress listeners
hear each cell's step as it happens (queued, running, ran / re-ran / restored from the cache /
failed..., stale; see :mod:`~braid_kernel.features.react.engine.progress`), keyed by cell.
"""

from __future__ import annotations

import builtins
import dataclasses
import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import anyio

from braid_kernel.engine.analysis import CellNames, analyse
from braid_kernel.engine.cell import Cell, Outcome, Status
from braid_kernel.engine.host import ShellHost
from braid_kernel.engine.runner import CellRunner
from braid_kernel.engine.scheduler import Scheduler, current_scheduler
from braid_kernel.engine.streams import tap_output_streams
from braid_kernel.errors import DataflowError
from braid_kernel.features.react.engine.compose import Part
from braid_kernel.features.react.engine.graph import DataflowGraph
from braid_kernel.features.react.engine.progress import Progress, ProgressListener
from braid_kernel.features.react.engine.slot import OutputSlot, Send, SlotMode
from braid_kernel.routing.context import Request, current_request
from braid_kernel.routing.publisher import Publisher
from braid_kernel.routing.taps import tapping
from braid_kernel.wire.channels import Channel
from braid_kernel.wire.message import JsonDict

log = logging.getLogger("braid_kernel.react")


class CellState:
    """Where a cell stands after its last run in the graph."""

    OK = "ok"
    ERROR = "error"
    WAITING = "waiting"
    SKIPPED = "skipped"
    STALE = "stale"  # lazy mode: an upstream cell changed since it last ran


@dataclass(slots=True)
class StaleRun(Cell):
    """Not a cell of the notebook: submitted to the scheduler (so it takes its turn like a
    cell and an interrupt stops it), it runs every stale cell in dependency order."""


async def run_stale(scheduler: Scheduler) -> Outcome:
    """Run every stale cell of ``scheduler``'s reactive runner, in the scheduler's turn (a
    chained cell running now finishes first): the ``braid.dataflow`` comm's ``run_stale``."""
    stale_run = StaleRun("%braid run stale", "", 0, "<run stale>", False, received=time.monotonic())
    return await scheduler.run(stale_run)


@dataclass(slots=True)
class _Plan:
    """One propagation: who ran, who failed, what to tell the triggering cell."""

    own: str
    reran: list[str] = field(default_factory=list)
    failed: set[str] = field(default_factory=set)
    skipped: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    own_outcome: Outcome | None = None
    own_waiting_for: list[str] = field(default_factory=list)
    announced: bool = False  # progress listeners were told this change started
    pending: set[str] = field(default_factory=set)  # queued or running, not ended


class ReactiveRunner(CellRunner):
    """A runner that keeps a dataflow graph of the cells it runs and propagates changes;
    the cells themselves run through ``inner`` (e.g. the caching runner)."""

    def __init__(
        self, inner: CellRunner, host: ShellHost, *, enabled: bool = False, lazy: bool = False
    ) -> None:
        super().__init__(host, inner.publisher, inner.fd_output)
        self.inner = inner
        self.graph = DataflowGraph()
        self.cells: dict[str, Cell] = {}  # the last code run under each key
        self.states: dict[str, str] = {}
        self.owner: dict[str, str] = {}  # name -> the cell whose value the namespace holds
        self.shown: set[str] = set()  # cells that have a display to update
        self.listeners: list[Callable[[], object]] = []  # told after every reactive run
        self.progress_listeners: list[ProgressListener] = []  # told each cell's step as it happens
        self.enabled = False
        self.lazy = False
        self._stale_after: set[int] = set()  # id() of the cells that asked for run_stale_after
        if enabled:
            self.enable(lazy=lazy)

    def enable(self, *, lazy: bool = False) -> None:
        """Switch reactive mode on: eager (changes re-run their dependents) or lazy (they
        become stale)."""
        tap_output_streams("react", True)
        self.enabled = True
        self.lazy = lazy

    def disable(self) -> None:
        self.enabled = False

    # ------------------------------------------------------------------ the cell

    async def run(self, cell: Cell, scope: anyio.CancelScope) -> Outcome:
        """Run ``cell`` and the cells depending on it (or only ``cell``, when switched off)."""
        if isinstance(cell, StaleRun):
            return await self._run_stale_request(cell, scope)
        if not self.enabled or cell.silent or not cell.store_history:
            return await self.inner.run(cell, scope)
        try:
            names = analyse(cell.code)
        except SyntaxError:
            return await self.inner.run(cell, scope)  # the runner reports it as the cell's error
        request = current_request.get()
        affected = self._forget_deleted(request)
        key = self.key_of(cell, names)
        old_node, old_cell = self.graph.upsert(key, names), self.cells.get(key)
        self.cells[key] = cell
        try:
            self.graph.check(key)
            plan = _Plan(key)
            await self._propagate(plan, names, affected, cell, scope=scope, request=request)
            if id(cell) in self._stale_after:
                await self._run_stale(plan, cell, scope, request)
        except DataflowError as exc:
            self.graph.restore(key, old_node)
            if old_cell is None:
                self.cells.pop(key, None)
            else:
                self.cells[key] = old_cell
            return Outcome(Status.ERROR, self.report(exc))
        finally:
            self._stale_after.discard(id(cell))
        summary = self._summary(plan)
        if self.lazy:
            summary["stale"] = self.stale_cells()
        cell.metadata.setdefault("braid", {}).update(summary)
        self._notify()
        return plan.own_outcome or Outcome(Status.OK)

    async def _propagate(
        self,
        plan: _Plan,
        names: CellNames,
        orphaned: set[str],
        cell: Cell,
        *,
        scope: anyio.CancelScope,
        request: Request | None,
    ) -> None:
        """Run the cell (after the chain restoring a name it refines) and, in eager mode,
        every cell depending on what ran and the dependents of deleted cells (``orphaned``);
        in lazy mode mark those stale instead."""
        ran = {plan.own} | self._restore_roots(plan.own, names)
        if self.lazy:
            ran &= self.graph.nodes.keys()
            await self._run_plan(plan, ran, cell, scope, request)
            self._mark_stale((self.graph.descendants(ran) | orphaned) - ran)
            return
        affected = (ran | orphaned | self.graph.descendants(ran | orphaned)) & self.graph.nodes.keys()
        await self._run_plan(plan, affected, cell, scope, request)

    async def _run_stale_request(self, cell: StaleRun, scope: anyio.CancelScope) -> Outcome:
        try:
            await self._run_stale(_Plan(""), cell, scope, current_request.get())
        except DataflowError as exc:
            return Outcome(Status.ERROR, self.report(exc))
        finally:
            self._notify()
        return Outcome(Status.OK)

    def _mark_stale(self, keys: Iterable[str]) -> None:
        marked = [key for key in keys if key in self.graph.nodes]
        for key in marked:
            self.states[key] = CellState.STALE
        if marked:
            marked.sort(key=lambda k: self.graph.nodes[k].position)
            self._progress(dict.fromkeys(marked, Progress.STALE))

    def run_stale_after(self, cell: Cell | None) -> None:
        """Ask for every stale cell to run, in dependency order, once ``cell`` (the one
        running ``%braid run stale``) has run; its reply then lists them in ``reran``."""
        if cell is not None:
            self._stale_after.add(id(cell))

    def stale_cells(self) -> list[str]:
        """The cells lazy mode marked stale, in dependency order."""
        stale = [k for k, state in self.states.items() if state == CellState.STALE and k in self.graph.nodes]
        try:
            return self.graph.order(stale)
        except DataflowError:
            return sorted(stale, key=lambda k: self.graph.nodes[k].position)

    async def _run_stale(
        self, plan: _Plan, cell: Cell, scope: anyio.CancelScope, request: Request | None
    ) -> None:
        """Run the stale cells (in eager mode, with the cells depending on them); in lazy
        mode, cells depending on them that were not stale become stale."""
        stale = set(self.stale_cells())
        if not stale:
            return
        if not self.lazy:
            stale |= self.graph.descendants(stale) & self.graph.nodes.keys()
        await self._run_plan(plan, stale, cell, scope, request)
        if self.lazy:
            self._mark_stale(self.graph.descendants(stale) - stale)

    def _notify(self) -> None:
        for listener in list(self.listeners):
            try:
                listener()
            except Exception:
                log.warning("a dataflow listener failed", exc_info=True)

    def _progress(self, states: Mapping[str, Progress], change: bool = False) -> None:
        for listener in list(self.progress_listeners):
            try:
                listener(states, change)
            except Exception:
                log.warning("a dataflow progress listener failed", exc_info=True)

    @staticmethod
    def key_of(cell: Cell, names: CellNames) -> str:
        """The cell's identity: the frontend's cellId, else the names it defines, else its code."""
        if cell.cell_id:
            return cell.cell_id
        if names.defines:
            return "defines:" + ",".join(sorted(names.defines))
        return "code:" + hashlib.sha1(cell.code.encode()).hexdigest()[:12]

    def _restore_roots(self, key: str, names: CellNames) -> set[str]:
        """For each name the cell refines, the cell to re-run first so the name holds its
        upstream value again (empty when the namespace already holds it)."""
        roots: set[str] = set()
        for name in names.reads & names.writes:
            provider = self.graph.provider(key, name)
            if provider is None or self.owner.get(name) in (provider, None):
                continue
            root, seen = provider, {key}
            while root not in seen:
                seen.add(root)
                node = self.graph.nodes[root]
                upstream = self.graph.provider(root, name) if name in node.names.reads else None
                if upstream is None or upstream in seen:
                    break
                root = upstream
            roots.add(root)
        return roots

    def _forget_deleted(self, request: Request | None) -> set[str]:
        """Drop the cells the frontend deleted; their dependents, to re-run."""
        deleted = request.msg.metadata.get("deletedCells") if request is not None else None
        if not isinstance(deleted, list):
            return set()
        gone = [k for k in deleted if isinstance(k, str) and k in self.graph.nodes]
        if not gone:
            return set()
        dependents = self.graph.descendants(gone) - set(gone)
        namespace = self.host.user_ns
        for key in gone:
            node = self.graph.remove(key)
            self.cells.pop(key, None)
            self.states.pop(key, None)
            self.shown.discard(key)
            for name in node.names.defines if node is not None else ():
                if self.owner.get(name) == key:
                    del self.owner[name]
                    namespace.pop(name, None)
        return dependents

    # ------------------------------------------------------------------ the plan

    async def _run_plan(
        self, plan: _Plan, affected: set[str], cell: Cell, scope: anyio.CancelScope, request: Request | None
    ) -> None:
        order = self.graph.order(affected)
        if order:
            plan.pending.update(order)
            self._progress(dict.fromkeys(order, Progress.QUEUED), change=not plan.announced)
            plan.announced = True
        try:
            await self._run_in_order(plan, order, cell, scope, request)
        finally:  # interrupted: the cells that did not end
            left = [key for key in order if key in plan.pending]
            plan.pending.difference_update(left)
            if left:
                self._progress(dict.fromkeys(left, Progress.CANCELLED))

    async def _run_in_order(
        self,
        plan: _Plan,
        order: list[str],
        cell: Cell,
        scope: anyio.CancelScope,
        request: Request | None,
    ) -> None:
        scheduler = current_scheduler.get()
        if scheduler is None or scheduler.chained or len(set(order) - {plan.own}) < 2:
            for key in order:
                await self._step(plan, key, cell, scope, request)
            return
        preds = self.graph.dependencies(set(order))
        done = {key: anyio.Event() for key in order}

        async def run_after(key: str) -> None:
            for pred in preds[key]:
                await done[pred].wait()
            try:
                await self._step(plan, key, cell, scope, request)
            finally:
                done[key].set()

        async with anyio.create_task_group() as group:
            for key in order:
                group.start_soon(run_after, key)

    async def _step(
        self, plan: _Plan, key: str, own_cell: Cell, scope: anyio.CancelScope, request: Request | None
    ) -> None:
        ended = await self._run_node(plan, key, own_cell, scope, request)
        plan.pending.discard(key)
        self._progress({key: ended})

    async def _run_node(
        self, plan: _Plan, key: str, own_cell: Cell, scope: anyio.CancelScope, request: Request | None
    ) -> Progress:
        """Run one cell of the plan (or skip it, or show it waits for a name); how it ended."""
        own = key == plan.own
        upstream_failed = sorted(self.graph.providers_of(key) & plan.failed)
        if own:
            mode, cell = SlotMode.CREATE, own_cell
        else:
            mode = SlotMode.UPDATE if key in self.shown else SlotMode.ORPHAN
            cell = dataclasses.replace(self.cells[key], store_history=False, payloads=[], metadata={})
        slot = OutputSlot(key, _sender(self.publisher, request), mode)
        missing = self._missing(key)
        if upstream_failed and not own:
            plan.failed.add(key)
            plan.skipped.append(key)
            self.states[key] = CellState.SKIPPED
            note = f"not re-run: cell {', '.join(upstream_failed)} failed"
            slot.show([Part({"text/plain": note}, {"braid": {"skipped": True}})])
            outcome, ended = Outcome(Status.OK), Progress.SKIPPED
        elif missing:
            slot.show([Part({"text/plain": "None"}, {"braid": {"waiting_for": missing}})])
            self.states[key] = CellState.WAITING
            plan.waiting.append(key)
            if own:
                plan.own_waiting_for = missing
            else:
                plan.reran.append(key)
            outcome, ended = Outcome(Status.OK), Progress.MISSING
        else:
            if not own:
                plan.reran.append(key)
            tap_output_streams("react", True)  # cheap when they do; also streams installed after enable()
            self._progress({key: Progress.RUNNING})
            try:
                with tapping(slot):
                    outcome = await self.inner.run(cell, scope)
            finally:
                slot.close()  # also when interrupted: what the cell printed stays shown
            self._after_run(plan, key, outcome)
            ended = _ended(cell, outcome, own)
        slot.close()
        if slot.shown:
            self.shown.add(key)
        if own:
            plan.own_outcome = outcome
        return ended

    def _after_run(self, plan: _Plan, key: str, outcome: Outcome) -> None:
        node = self.graph.nodes.get(key)
        if outcome.status is Status.OK and node is not None:
            self.states[key] = CellState.OK
            for name in node.writes:
                self.owner[name] = key
        else:
            self.states[key] = CellState.ERROR
            plan.failed.add(key)

    def _missing(self, key: str) -> list[str]:
        node = self.graph.nodes[key]
        namespace = self.host.user_ns
        # Read now, not at import: IPython adds builtins (display, get_ipython) when the shell starts.
        known = vars(builtins)
        return sorted(n for n in node.names.immediate_reads if n not in namespace and n not in known)

    @staticmethod
    def _summary(plan: _Plan) -> JsonDict:
        summary: JsonDict = {"reran": list(plan.reran)}
        failed = [k for k in plan.failed if k != plan.own and k not in plan.skipped]
        for name, value in (
            ("failed", sorted(failed)),
            ("skipped", plan.skipped),
            ("waiting", [k for k in plan.waiting if k != plan.own]),
            ("waiting_for", plan.own_waiting_for),
        ):
            if value:
                summary[name] = value
        return summary

    # ------------------------------------------------------------------ views

    def stale(self) -> list[str]:
        """Cells whose output is not up to date: waiting, failed, skipped or stale (lazy mode)."""
        return sorted(k for k, state in self.states.items() if state != CellState.OK)

    def keys(self) -> Iterable[str]:
        return self.graph.nodes.keys()


def _ended(cell: Cell, outcome: Outcome, own: bool) -> Progress:
    """The step a cell that ran (or was restored from the cache) ended with."""
    if outcome.status is not Status.OK:
        return Progress.FAILED
    braid = cell.metadata.get("braid")
    if isinstance(braid, dict) and braid.get("cache") == "hit":
        return Progress.CACHED
    return Progress.RAN if own else Progress.RERAN


def _sender(publisher: Publisher, request: Request | None) -> Send:
    """Publish straight to the outbox, parented to ``request`` (not through the publisher,
    which would hand the message back to the slot: it is one of the current taps)."""
    parent = request.header if request is not None else None

    def send(msg_type: str, content: JsonDict) -> None:
        publisher.outbox.send(Channel.IOPUB, msg_type, content, parent)

    return send
