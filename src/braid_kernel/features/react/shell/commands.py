"""``%braid react on|lazy|off``, ``%braid run stale`` and ``%braid graph``: reactive mode from a cell.

They act on the shell the calling cell runs in, through its scheduler's runner (a
:class:`~braid_kernel.features.react.engine.runner.ReactiveRunner` in every shell, switched on by the
``react`` mode or by ``%braid react on``).  Cells run before reactive mode was switched on are
not in the graph: run them again to add them.
"""

from __future__ import annotations

from braid_kernel.engine.cell import current_cell
from braid_kernel.engine.scheduler import current_scheduler
from braid_kernel.features.react.engine.picture import graph_svg, graph_text
from braid_kernel.features.react.engine.runner import ReactiveRunner
from braid_kernel.shell.braid_magic import usage_error

REACT_USAGE = "react [on|lazy|off]"
RUN_USAGE = "run stale"
GRAPH_USAGE = "graph"


def _reactive(usage: str) -> ReactiveRunner:
    scheduler = current_scheduler.get()
    runner = scheduler.runner if scheduler is not None else None
    if not isinstance(runner, ReactiveRunner):
        raise usage_error(usage, "only available inside a running cell")
    return runner


def braid_react(args: list[str], cell: str | None) -> None:
    """Switch reactive mode on (eager), to lazy or off for the cells run from now on; without
    argument, show it."""
    del cell
    runner = _reactive(REACT_USAGE)
    if not args:
        print("react off" if not runner.enabled else "react lazy" if runner.lazy else "react on")
        return
    if len(args) != 1 or args[0] not in ("on", "lazy", "off"):
        raise usage_error(REACT_USAGE, f"expected 'on', 'lazy' or 'off', got {' '.join(args)!r}")
    if args[0] == "off":
        runner.disable()
    else:
        runner.enable(lazy=args[0] == "lazy")


def braid_run(args: list[str], cell: str | None) -> None:
    """Run every stale cell, in dependency order, once the calling cell has run."""
    del cell
    if args != ["stale"]:
        raise usage_error(RUN_USAGE, f"expected 'stale', got {' '.join(args)!r}")
    runner = _reactive(RUN_USAGE)
    if not runner.enabled:
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
    return GraphPicture(graph_svg(runner.graph, runner.states), graph_text(runner.graph, runner.states))
