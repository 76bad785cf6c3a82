"""The reactive feature: ``%braid react``, ``%braid run stale`` and ``%braid graph``; a
:class:`~braid_kernel.features.react.engine.layer.ReactLayer` around every shell's runner (its
:class:`~braid_kernel.features.react.engine.runner.ReactiveRunner` switched on at startup by the
``react`` mode, or later by ``%braid react on``); and, in each serving shell (the main shell, each
multi-mode session), the ``braid.dataflow`` comm target answering from that shell's graph, whose
``run_stale`` runs the stale cells as a task of the shell.  The reactive engine is imported when
first used: a kernel that never uses reactive mode does not load it."""

from __future__ import annotations

import functools

from braid_kernel.engine.runner import CellRunner
from braid_kernel.engine.scheduler import Scheduler
from braid_kernel.features.base import Feature, ShellPart, Starter
from braid_kernel.features.react.engine.layer import ReactLayer
from braid_kernel.features.react.shell.commands import (
    GRAPH_USAGE,
    REACT_USAGE,
    RUN_USAGE,
    braid_graph,
    braid_react,
    braid_run,
)
from braid_kernel.features.react.shell.dataflow import TARGET, DataflowComms
from braid_kernel.shell.braid_magic import Subcommand


def build(*, enabled: bool, lazy: bool) -> Feature:
    """``enabled``: reactive mode is on from the start (``lazy``: in its lazy form)."""

    def layer(inner: CellRunner, session: str | None) -> CellRunner:
        del session
        return ReactLayer(inner, enabled=enabled, lazy=lazy)

    return Feature(
        "react",
        subcommands=(
            Subcommand("react", braid_react, REACT_USAGE, "switch reactive mode on, to lazy, or off"),
            Subcommand("run", braid_run, RUN_USAGE, "run the cells lazy reactive mode marked stale"),
            Subcommand("graph", braid_graph, GRAPH_USAGE, "show the reactive dependency graph"),
        ),
        runner=layer,
        shell_part=dataflow_part,
    )


def dataflow_part(scheduler: Scheduler, start: Starter) -> ShellPart:
    """A serving shell's ``braid.dataflow`` target (its ``run_stale`` starts the shell's stale
    cells through ``start``); ``%braid session reset`` forgets the graph."""
    layer = react_layer(scheduler)
    if layer is None:
        return ShellPart()
    comms = DataflowComms(layer, scheduler, start)
    return ShellPart(
        comm_targets={TARGET: comms.opened},
        reset=functools.partial(forget_graph, layer),
        close=comms.close,
    )


def react_layer(scheduler: Scheduler) -> ReactLayer | None:
    """The reactive layer in ``scheduler``'s runner chain, if there is one."""
    runner: object = scheduler.runner
    while runner is not None and not isinstance(runner, ReactLayer):
        runner = getattr(runner, "inner", None)
    return runner


def forget_graph(layer: ReactLayer) -> None:
    runner = layer.built
    if runner is None:
        return  # reactive mode was never used here: no graph to forget
    from braid_kernel.features.react.engine.graph import DataflowGraph

    runner.graph = DataflowGraph()
    runner.cells.clear()
    runner.states.clear()
    runner.owner.clear()
    runner.shown.clear()
