"""``%braid react on|off`` and ``%braid graph``: reactive mode from a cell.

Both act on the shell the calling cell runs in, through its scheduler's runner (a
:class:`~braid_kernel.engine.react.runner.ReactiveRunner` in every shell, switched on by the
``react`` mode or by ``%braid react on``).  Cells run before reactive mode was switched on are
not in the graph: run them again to add them.
"""

from __future__ import annotations

from braid_kernel.engine.react.picture import graph_svg, graph_text
from braid_kernel.engine.react.runner import ReactiveRunner
from braid_kernel.engine.scheduler import current_scheduler
from braid_kernel.shell.braid_magic import BraidCommands, usage_error

REACT_USAGE = "react [on|off]"
GRAPH_USAGE = "graph"


def _reactive(usage: str) -> ReactiveRunner:
    scheduler = current_scheduler.get()
    runner = scheduler.runner if scheduler is not None else None
    if not isinstance(runner, ReactiveRunner):
        raise usage_error(usage, "only available inside a running cell")
    return runner


def braid_react(args: list[str], cell: str | None) -> None:
    """Switch reactive mode on or off for the cells run from now on; without argument, show it."""
    del cell
    runner = _reactive(REACT_USAGE)
    if not args:
        print("react on" if runner.enabled else "react off")
        return
    if len(args) != 1 or args[0] not in ("on", "off"):
        raise usage_error(REACT_USAGE, f"expected 'on' or 'off', got {' '.join(args)!r}")
    if args[0] == "on":
        runner.enable()
    else:
        runner.disable()


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


def register_react_commands(commands: BraidCommands) -> None:
    commands.add("react", braid_react, REACT_USAGE, "switch reactive mode on or off")
    commands.add("graph", braid_graph, GRAPH_USAGE, "show the reactive dependency graph")
