"""Reactive mode's own cost per re-run cell: analysis, graph, ordering, output capture.

Runs the reactive runner over a stub runner that executes nothing (the namespace already holds
every name), so the time measured is reactive mode's bookkeeping alone:

* a chain of 1,000 cells (``v1 = v0 + 1``, ``v2 = v1 + 1``, ...), re-running the first;
* a 200-cell diamond lattice (each layer of two cells reads both cells of the layer above),
  re-running the top.

Usage: ``python benchmarks/react_overhead.py`` from the repository root.  Prints the time per
affected cell (the issue's target: under 1 ms).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.engine.fakes import FakeHost

from braid_kernel.engine.cell import Cell, Outcome, Status
from braid_kernel.engine.runner import CellRunner
from braid_kernel.engine.scheduler import Scheduler
from braid_kernel.features.react.engine.runner import ReactiveRunner
from braid_kernel.routing.publisher import Publisher
from braid_kernel.transport.outbox import Outbox


class StubRunner(CellRunner):
    """Runs nothing: measures what reactive mode adds around the cells."""

    async def run(self, cell: Cell, scope: anyio.CancelScope) -> Outcome:
        del cell, scope
        return Outcome(Status.OK)


def chain(n: int) -> list[tuple[str, str]]:
    return [("c0", "v0 = 0")] + [(f"c{i}", f"v{i} = v{i - 1} + 1") for i in range(1, n)]


def lattice(layers: int) -> list[tuple[str, str]]:
    cells = [("top", "t = 1")]
    above = ["t"]
    for layer in range(layers):
        names = [f"l{layer}_{side}" for side in (0, 1)]
        for name in names:
            cells.append((name, f"{name} = {' + '.join(above)}"))
        above = names
    cells.append(("bottom", f"bottom = {' + '.join(above)}"))
    return cells


async def measure(cells: list[tuple[str, str]]) -> tuple[int, float]:
    outbox = Outbox()
    host = FakeHost(Publisher(outbox))
    reactive = ReactiveRunner(StubRunner(host, host.publisher), host, enabled=True)
    scheduler = Scheduler(reactive)
    for index, (key, code) in enumerate(cells):
        name = code.split(" = ")[0]
        host.namespace[name] = 0
        await scheduler.run(Cell(code, code, index + 1, f"<cell-{index + 1}>", cell_id=key))
        outbox.items.clear()
    key, code = cells[0]
    rerun = Cell(code, code, len(cells) + 1, "<rerun>", cell_id=key)
    start = time.perf_counter()
    await scheduler.run(rerun)
    elapsed = time.perf_counter() - start
    return len(rerun.metadata["braid"]["reran"]), elapsed


def main() -> None:
    for title, cells in (("chain of 1000 cells", chain(1000)), ("200-cell diamond lattice", lattice(99))):
        affected, elapsed = anyio.run(measure, cells)
        per_cell = elapsed / affected * 1000  # ms
        print(f"{title}: {affected} cells re-ran in {elapsed * 1000:.1f} ms, {per_cell:.3f} ms per cell")


if __name__ == "__main__":
    main()
