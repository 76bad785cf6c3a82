"""The reactive feature: ``%braid react``, ``%braid run stale`` and ``%braid graph``.

Reactive mode's runner (:class:`~braid_kernel.features.react.engine.runner.ReactiveRunner`) is
part of every engine's runner chain, composed by the root (:mod:`braid_kernel.app.engines`), and
its ``braid.dataflow`` comm target is registered by the main shell once its scheduler runs."""

from __future__ import annotations

from braid_kernel.features.base import Feature
from braid_kernel.features.react.shell.commands import (
    GRAPH_USAGE,
    REACT_USAGE,
    RUN_USAGE,
    braid_graph,
    braid_react,
    braid_run,
)
from braid_kernel.shell.braid_magic import Subcommand


def build() -> Feature:
    return Feature(
        "react",
        subcommands=(
            Subcommand("react", braid_react, REACT_USAGE, "switch reactive mode on, to lazy, or off"),
            Subcommand("run", braid_run, RUN_USAGE, "run the cells lazy reactive mode marked stale"),
            Subcommand("graph", braid_graph, GRAPH_USAGE, "show the reactive dependency graph"),
        ),
    )
