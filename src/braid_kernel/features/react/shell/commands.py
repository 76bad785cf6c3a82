"""``%braid react on|lazy|off``, ``%braid run stale`` and ``%braid graph``: reactive mode from a cell.

They act on the shell the calling cell runs in, through its scheduler's runner (a
:class:`~braid_kernel.features.react.engine.layer.ReactLayer` in every shell, whose
:class:`~braid_kernel.features.react.engine.runner.ReactiveRunner` the ``react`` mode or
``%braid react on`` switches on).  Cells run before reactive mode was switched on are not in the
graph: run them again to add them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from braid_kernel.engine.cell import current_cell
from braid_kernel.engine.scheduler import current_scheduler
from braid_kernel.features.react.engine.layer import ReactLayer
from braid_kernel.shell.braid_magic import usage_error

if TYPE_CHECKING:
    from braid_kernel.features.react.engine.runner import ReactiveRunner

REACT_USAGE = "react [on|lazy|off]"
RUN_USAGE = "run stale"
GRAPH_USAGE = "graph"


def _layer(usage: str) -> ReactLayer:
    scheduler = current_scheduler.get()
    layer = scheduler.runner if scheduler is not None else None
    if not isinstance(layer, ReactLayer):
        raise usage_error(usage, "only available inside a running cell")
    return layer


def _reactive(usage: str) -> ReactiveRunner:
    """The calling shell's reactive runner (made, and the reactive engine loaded, on first use)."""
    return _layer(usage).runner()


def braid_react(args: list[str], cell: str | None) -> None:
    """Switch reactive mode on (eager), to lazy or off for the cells run from now on; without
    argument, show it."""
    del cell
    layer = _layer(REACT_USAGE)
    if len(args) > 1 or (args and args[0] not in ("on", "lazy", "off")):
        raise usage_error(REACT_USAGE, f"expected 'on', 'lazy' or 'off', got {' '.join(args)!r}")
    runner = layer.built  # None: reactive mode was never used in this shell (it is off)
    if not args:
        print(_state(runner))
    elif args[0] == "off":
        if runner is not None:
            runner.disable()
    else:
        layer.runner().enable(lazy=args[0] == "lazy")


def _state(runner: ReactiveRunner | None) -> str:
    if runner is None or not runner.enabled:
        return "react off"
    return "react lazy" if runner.lazy else "react on"


def braid_run(args: list[str], cell: str | None) -> None:
    """Run every stale cell, in dependency order, once the calling cell has run."""
    del cell
    if args != ["stale"]:
        raise usage_error(RUN_USAGE, f"expected 'stale', got {' '.join(args)!r}")
    runner = _layer(RUN_USAGE).built
    if runner is None or not runner.enabled:
        raise usage_error(RUN_USAGE, "reactive mode is off (%braid react lazy switches it on)")
    runner.run_stale_after(current_cell.get())


class GraphPicture:
    """The dependency graph, shown as SVG (text listing as the plain-text fallback)."""

    def __init__(self, svg: str, text: str) -> None:
        self.svg = svg
        self.text = text

    def _repr_svg_(self) -> str:
        return self.svg

    def __repr__(self) -> str:
        return self.text


def braid_graph(args: list[str], cell: str | None) -> GraphPicture:
    """Show the dependency graph of the cells run in reactive mode."""
    del cell
    if args:
        raise usage_error(GRAPH_USAGE, f"takes no arguments, got {' '.join(args)!r}")
    runner = _reactive(GRAPH_USAGE)
    from braid_kernel.features.react.engine.picture import graph_svg, graph_text  # imported when first drawn

    return GraphPicture(graph_svg(runner.graph, runner.states), graph_text(runner.graph, runner.states))
