"""The ``braid.dataflow`` comm target: the reactive dependency graph for frontends.

A frontend opens a comm with target ``braid.dataflow``; the kernel answers at once, again for
each message ``{"request": "graph"}``, and after every reactive run while the comm is open,
with ``{"cells": [...], "edges": [...], "stale": [...]}`` (see
:func:`~braid_kernel.engine.react.picture.graph_data`): each cell's id, position, defined, read
and mutated names and state (``ok``, ``waiting``, ``error``, ``skipped``), each edge's source,
target and the names it passes, and the ids of the cells whose output is not up to date.
"""

from __future__ import annotations

from typing import Any

from comm.base_comm import BaseComm, CommManager

from braid_kernel.engine.react.picture import graph_data
from braid_kernel.engine.react.runner import ReactiveRunner

TARGET = "braid.dataflow"


class DataflowTarget:
    """Serves ``braid.dataflow`` comms from one shell's reactive runner."""

    def __init__(self, runner: ReactiveRunner) -> None:
        self.runner = runner
        self.open_comms: dict[str, BaseComm] = {}
        runner.listeners.append(self.push)

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
        if isinstance(data, dict) and data.get("request") == "graph":
            comm.send(self.snapshot())
        else:
            comm.send({"error": f"unknown request {data!r}: send {{'request': 'graph'}}"})

    def push(self) -> None:
        """Send the new graph to every open comm (after a reactive run)."""
        if self.open_comms:
            snapshot = self.snapshot()
            for comm in list(self.open_comms.values()):
                comm.send(snapshot)

    def snapshot(self) -> dict[str, Any]:
        return graph_data(self.runner.graph, self.runner.states)
