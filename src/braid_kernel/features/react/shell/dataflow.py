"""The ``braid.dataflow`` comm target: the reactive dependency graph for frontends.

A frontend opens a comm with target ``braid.dataflow``; the kernel answers at once, again for
each message ``{"request": "graph"}``, and after every reactive run while the comm is open,
with ``{"cells": [...], "edges": [...], "stale": [...], "lazy": bool}`` (see
:func:`~braid_kernel.features.react.engine.picture.graph_data`): each cell's id, position, defined, read
and mutated names and state (``ok``, ``stale``, ``waiting``, ``error``, ``skipped``), each edge's
source, target and the names it passes, the ids of the cells whose output is not up to date, and
whether reactive mode is lazy.

As a change goes through the graph, each cell's step follows at once, as
``{"progress": {cell id: step, ...}, "change": bool}``: ``queued``, ``running``, then ``ran``,
``reran``, ``cached``, ``error``, ``skipped``, ``missing`` or ``cancelled``; ``stale`` in lazy
mode (see :mod:`~braid_kernel.features.react.engine.progress`).  ``change`` is true on the first
message of a new change (a cell run, or stale cells run): the page drops the labels of the
previous one.

The message ``{"request": "run_stale"}`` runs every stale cell in dependency order, as
``%braid run stale`` does: the shell's scheduler runs a
:class:`~braid_kernel.features.react.engine.runner.StaleRun` in its turn (``run_stale``, given by the
composition root, or per session in multi mode; without it, or when it fails, the comm answers
with an error), their output goes to their displays and the new graph follows as after any
reactive run.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from comm.base_comm import BaseComm, CommManager

from braid_kernel.engine.scheduler import Scheduler
from braid_kernel.features.react.engine.layer import ReactLayer

if TYPE_CHECKING:  # the reactive engine is imported when first used (see DataflowComms)
    from braid_kernel.features.react.engine.progress import Progress
    from braid_kernel.features.react.engine.runner import ReactiveRunner

TARGET = "braid.dataflow"

log = logging.getLogger("braid_kernel.react")


class DataflowTarget:
    """Serves ``braid.dataflow`` comms from one shell's reactive runner."""

    def __init__(self, runner: ReactiveRunner, run_stale: Callable[[], object] | None = None) -> None:
        self.runner = runner
        self.run_stale = run_stale
        self.open_comms: dict[str, BaseComm] = {}
        runner.listeners.append(self.push)
        runner.progress_listeners.append(self.progress)

    def register(self, manager: CommManager) -> None:
        manager.register_target(TARGET, self.opened)

    def opened(self, comm: BaseComm, msg: dict[str, Any]) -> None:
        del msg
        self.open_comms[comm.comm_id] = comm
        comm.on_msg(lambda message: self.answer(comm, message))

        def closed(message: dict[str, Any]) -> None:
            del message
            self.open_comms.pop(comm.comm_id, None)

        comm.on_close(closed)
        comm.send(self.snapshot())

    def answer(self, comm: BaseComm, msg: dict[str, Any]) -> None:
        data = msg.get("content", {}).get("data", {})
        request = data.get("request") if isinstance(data, dict) else None
        if request == "graph":
            comm.send(self.snapshot())
        elif request == "run_stale" and self.run_stale is not None:
            try:
                self.run_stale()
            except Exception as exc:
                log.warning("running the stale cells failed", exc_info=True)
                comm.send({"error": f"running the stale cells failed: {exc}"})
        elif request == "run_stale":
            comm.send({"error": "running stale cells from a comm is not available in this kernel"})
        else:
            comm.send({"error": f"unknown request {data!r}: send {{'request': 'graph' or 'run_stale'}}"})

    def push(self) -> None:
        """Send the new graph to every open comm (after a reactive run)."""
        if self.open_comms:
            snapshot = self.snapshot()
            for comm in list(self.open_comms.values()):
                comm.send(snapshot)

    def progress(self, states: Mapping[str, Progress], change: bool) -> None:
        """Send cells' steps to every open comm (as they happen)."""
        if self.open_comms:
            data = {"progress": {key: step.value for key, step in states.items()}, "change": change}
            for comm in list(self.open_comms.values()):
                comm.send(data)

    def snapshot(self) -> dict[str, Any]:
        from braid_kernel.features.react.engine.picture import graph_data  # imported when first drawn

        return {**graph_data(self.runner.graph, self.runner.states), "lazy": self.runner.lazy}


class DataflowComms:
    """One shell's ``braid.dataflow`` comms: served by a :class:`DataflowTarget` made when the
    first one opens, from the shell's reactive runner (which ``layer`` makes then if reactive mode
    was never used there); ``run_stale`` runs the stale cells in ``scheduler`` through ``start``."""

    def __init__(
        self, layer: ReactLayer, scheduler: Scheduler, start: Callable[[Callable[[], Any]], None]
    ) -> None:
        self.layer = layer
        self.scheduler = scheduler
        self.start = start
        self.target: DataflowTarget | None = None

    def opened(self, comm: BaseComm, msg: dict[str, Any]) -> None:
        if self.target is None:
            from braid_kernel.features.react.engine.runner import run_stale

            stale = functools.partial(run_stale, self.scheduler)
            self.target = DataflowTarget(self.layer.runner(), lambda: self.start(stale))
        self.target.opened(comm, msg)

    def close(self) -> None:
        if self.target is not None:
            self.target.open_comms.clear()
