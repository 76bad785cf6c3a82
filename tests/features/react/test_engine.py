"""Reactive mode without a kernel: the dataflow graph (pure), and the reactive runner over a
fake shell on both anyio backends."""

from __future__ import annotations

import itertools
import time
from typing import Any

import anyio
import pytest

from braid_kernel.engine.analysis import analyse
from braid_kernel.engine.cell import Cell, Outcome, Status
from braid_kernel.engine.scheduler import Scheduler
from braid_kernel.errors import DataflowConflict, DataflowCycle
from braid_kernel.features.react.engine.graph import DataflowGraph
from braid_kernel.features.react.engine.picture import graph_data, graph_svg
from braid_kernel.features.react.engine.runner import ReactiveRunner, StaleRun
from braid_kernel.routing.context import Request, current_request
from braid_kernel.transport.outbox import Outgoing
from braid_kernel.wire.channels import Channel
from braid_kernel.wire.message import Message
from tests.engine.fakes import Rig

WAIT = 10.0  # a backstop against hangs, never a speed bound


def graph_of(*cells: tuple[str, str]) -> DataflowGraph:
    graph = DataflowGraph()
    for key, code in cells:
        graph.upsert(key, analyse(code))
    return graph


# --- the graph -----------------------------------------------------------------------------------


def test_dependents_are_ordered_by_dependency_then_position() -> None:
    graph = graph_of(("a", "x = 1"), ("c", "z = y + 1"), ("b", "y = x + 1"), ("d", "w = x"))
    affected = graph.descendants(["a"])
    assert affected == {"b", "c", "d"}
    # c (run first, reading y before anyone defined it) waits for b; among ready cells, position wins.
    assert graph.order(affected | {"a"}) == ["a", "b", "c", "d"]


def test_diamond_bottom_comes_after_both_sides() -> None:
    graph = graph_of(("top", "x = 1"), ("left", "l = x"), ("right", "r = x"), ("bottom", "b = l + r"))
    order = graph.order(graph.descendants(["top"]) | {"top"})
    assert order == ["top", "left", "right", "bottom"]
    edges = {(e.source, e.target): e.names for e in graph.edges()}
    assert edges[("left", "bottom")] == {"l"} and edges[("right", "bottom")] == {"r"}


def test_reader_takes_the_last_writer_before_it() -> None:
    graph = graph_of(
        ("load", "df = load()"),
        ("peek", "df.head()"),
        ("clean", "df = df.dropna()"),
        ("stats", "df.describe()"),
    )
    assert graph.provider("peek", "df") == "load"
    assert graph.provider("clean", "df") == "load"
    assert graph.provider("stats", "df") == "clean"
    # peek reads the loaded frame, so it runs before clean overwrites it.
    assert graph.order(graph.descendants(["load"])) == ["peek", "clean", "stats"]


def test_forward_reference_takes_the_later_writer() -> None:
    graph = graph_of(("early", "y = x * 2"), ("late", "x = 1"))
    assert graph.provider("early", "x") == "late"
    assert graph.descendants(["late"]) == {"early"}


def test_mutation_orders_cells_like_a_refinement() -> None:
    graph = graph_of(("make", "items = []"), ("add", "items.append(1)"), ("count", "n = len(items)"))
    assert graph.provider("add", "items") == "make"
    assert graph.provider("count", "items") == "add"


def test_star_import_provides_unknown_names_to_later_cells() -> None:
    graph = graph_of(("star", "from math import *"), ("use", "r = pi * 2"), ("own", "pi = 3"))
    assert graph.provider("use", "pi") == "own"  # a real writer wins
    graph = graph_of(("star", "from math import *"), ("use", "r = tau * 2"))
    assert graph.provider("use", "tau") == "star"


def test_cycle_names_cells_and_names() -> None:
    graph = graph_of(("a", "p = q + 1"), ("b", "q = p + 1"))
    with pytest.raises(DataflowCycle) as caught:
        graph.check("b")
    message = str(caught.value)
    assert "'a' -> 'b' (p)" in message and "'b' -> 'a' (q)" in message
    with pytest.raises(DataflowCycle):
        graph.order(["a", "b"])


def test_two_cells_defining_a_name_conflict_unless_refining_or_private() -> None:
    graph = graph_of(("a", "k = 1"), ("b", "k = 2"))
    with pytest.raises(DataflowConflict, match="'k' by 'a', 'b'"):
        graph.check("b")
    graph_of(("a", "k = 1"), ("b", "k = k + 1")).check("b")
    graph_of(("a", "_k = 1"), ("b", "_k = 2")).check("b")


def test_redefinition_keeps_the_position_and_restore_undoes_it() -> None:
    graph = graph_of(("a", "x = 1"), ("b", "y = x"))
    old = graph.upsert("a", analyse("x = 2\nz = 3"))
    assert graph.nodes["a"].position < graph.nodes["b"].position
    assert graph.nodes["a"].names.defines == {"x", "z"}
    graph.restore("a", old)
    assert graph.nodes["a"].names.defines == {"x"}


def test_removed_cell_stops_providing() -> None:
    graph = graph_of(("a", "x = 1"), ("b", "y = x"))
    graph.remove("a")
    assert graph.provider("b", "x") is None
    assert graph.descendants(["a"]) == set()


def test_picture_and_data_describe_cells_edges_and_stale_ones() -> None:
    graph = graph_of(("a", "x = 1"), ("b", "y = x + 1"))
    data = graph_data(graph, {"a": "ok", "b": "waiting"})
    assert [c["id"] for c in data["cells"]] == ["a", "b"]
    assert data["edges"] == [{"source": "a", "target": "b", "names": ["x"]}]
    assert data["stale"] == ["b"]
    svg = graph_svg(graph, {})
    assert svg.startswith("<svg") and ">x</text>" in svg


# --- the runner ----------------------------------------------------------------------------------


class ReactRig:
    """A scheduler over a reactive runner over the fake shell's cell runner."""

    def __init__(self, chained: bool = True) -> None:
        self.base = Rig(chained=chained)
        self.reactive = ReactiveRunner(self.base.runner, self.base.host, enabled=True)
        self.scheduler = Scheduler(self.reactive, chained=chained)
        self.counts = itertools.count(1)
        self.ran: list[str] = []
        self.namespace["record"] = self.ran.append  # a side channel the analysis does not see

    @property
    def namespace(self) -> dict[str, Any]:
        return self.base.host.namespace

    async def run(self, code: str, cell_id: str) -> tuple[Outcome, dict[str, Any]]:
        count = next(self.counts)
        cell = Cell(code, code, count, f"<cell-{count}>", cell_id=cell_id, received=time.monotonic())
        with anyio.fail_after(WAIT):
            outcome = await self.scheduler.run(cell)
        return outcome, cell.metadata.get("braid", {})

    def updates(self, key: str) -> list[str]:
        return [
            item.content["data"]["text/plain"]
            for item in self.base.outbox.items
            if isinstance(item, Outgoing)
            and item.msg_type in ("display_data", "update_display_data")
            and item.content["transient"]["display_id"] == f"braid-react-{key}"
        ]


@pytest.mark.anyio
async def test_runner_forward_reference_waits_then_runs() -> None:
    rig = ReactRig()
    outcome, meta = await rig.run("y = x + 1\nrecord('a')\nprint(y)", "a")
    assert outcome.status is Status.OK and meta["waiting_for"] == ["x"]
    assert rig.ran == [] and rig.updates("a") == ["None"]
    _, meta = await rig.run("x = 1", "b")
    assert meta["reran"] == ["a"]
    assert rig.ran == ["a"] and rig.namespace["y"] == 2


@pytest.mark.anyio
@pytest.mark.parametrize("chained", [True, False])
async def test_runner_diamond_runs_each_cell_once_bottom_last(chained: bool) -> None:
    rig = ReactRig(chained=chained)
    await rig.run("x = 1", "top")
    await rig.run("l = x + 1\nrecord('left')", "left")
    await rig.run("r = x * 10\nrecord('right')", "right")
    await rig.run("b = l + r\nrecord('bottom')", "bottom")
    rig.ran.clear()
    _, meta = await rig.run("x = 2", "top")
    assert sorted(rig.ran[:2]) == ["left", "right"] and rig.ran[2:] == ["bottom"]
    assert sorted(meta["reran"]) == ["bottom", "left", "right"]
    assert rig.namespace["b"] == 23


@pytest.mark.anyio
async def test_runner_refining_cell_reruns_from_upstream() -> None:
    rig = ReactRig()
    await rig.run("data = [3, None, 1]\nrecord('load')", "load")
    await rig.run("data = [v for v in data if v is not None]", "clean")
    await rig.run("data = sorted(v for v in data if v is not None)", "clean")
    assert rig.ran == ["load", "load"]
    assert rig.namespace["data"] == [1, 3]


@pytest.mark.anyio
async def test_runner_rejects_cycles_and_keeps_the_previous_version() -> None:
    rig = ReactRig()
    await rig.run("p = 1", "a")
    await rig.run("q = p + 1", "b")
    outcome, _ = await rig.run("p = q + 1", "a")
    assert outcome.status is Status.ERROR and outcome.error is not None
    assert outcome.error.ename == "DataflowCycle"
    _, meta = await rig.run("p = 5", "a")
    assert meta["reran"] == ["b"] and rig.namespace["q"] == 6


@pytest.mark.anyio
async def test_runner_failure_skips_the_cells_below() -> None:
    rig = ReactRig()
    await rig.run("d = 1", "a")
    await rig.run("q = 1 / d", "b")
    await rig.run("r = q + 1\nrecord('c')", "c")
    rig.ran.clear()
    outcome, meta = await rig.run("d = 0", "a")
    assert outcome.status is Status.OK
    assert meta["failed"] == ["b"] and meta["skipped"] == ["c"] and rig.ran == []
    assert "ZeroDivisionError" in rig.updates("b")[-1]


@pytest.mark.anyio
async def test_runner_switched_off_passes_cells_through() -> None:
    rig = ReactRig()
    rig.reactive.disable()
    outcome, meta = await rig.run("y = undefined_name", "a")
    assert outcome.status is Status.ERROR and meta == {}
    assert not rig.reactive.graph.nodes


def fake_request(metadata: dict[str, Any]) -> Request:
    header = {"msg_id": "1", "msg_type": "execute_request"}
    return Request(Message(header, metadata=metadata, content={"code": ""}), Channel.SHELL)


# --- lazy mode -----------------------------------------------------------------------------------


async def lazy_diamond() -> ReactRig:
    rig = ReactRig()
    rig.reactive.enable(lazy=True)
    await rig.run("x = 1\nrecord('top')", "top")
    await rig.run("l = x + 1\nrecord('left')", "left")
    await rig.run("r = x * 10\nrecord('right')", "right")
    await rig.run("b = l + r\nrecord('bottom')", "bottom")
    rig.ran.clear()
    return rig


@pytest.mark.anyio
async def test_lazy_change_marks_dependents_stale_in_dependency_order() -> None:
    rig = await lazy_diamond()
    _, meta = await rig.run("x = 2\nrecord('top')", "top")
    assert rig.ran == ["top"] and meta["reran"] == []
    assert meta["stale"] == ["left", "right", "bottom"]
    assert rig.namespace["b"] == 12  # nothing downstream ran
    assert rig.reactive.states["bottom"] == "stale"


@pytest.mark.anyio
async def test_lazy_cell_run_by_hand_stops_being_stale_its_dependents_do_not() -> None:
    rig = await lazy_diamond()
    await rig.run("x = 2\nrecord('top')", "top")
    _, meta = await rig.run("l = x + 1\nrecord('left')", "left")
    assert rig.ran == ["top", "left"]
    assert meta["stale"] == ["right", "bottom"]


@pytest.mark.anyio
async def test_lazy_run_stale_runs_every_stale_cell_in_dependency_order() -> None:
    rig = await lazy_diamond()
    await rig.run("x = 2", "top")
    rig.ran.clear()
    count = next(rig.counts)
    cell = Cell("run", "pass", count, f"<cell-{count}>", cell_id="runner", received=time.monotonic())
    rig.reactive.run_stale_after(cell)
    with anyio.fail_after(WAIT):
        await rig.scheduler.run(cell)
    assert sorted(rig.ran[:2]) == ["left", "right"] and rig.ran[2:] == ["bottom"]
    assert cell.metadata["braid"]["stale"] == []
    assert sorted(cell.metadata["braid"]["reran"]) == ["bottom", "left", "right"]
    assert rig.namespace["b"] == 23


@pytest.mark.anyio
async def test_stale_run_through_the_scheduler_and_a_new_dependent_becomes_stale() -> None:
    rig = ReactRig()
    rig.reactive.enable(lazy=True)
    await rig.run("a = 1", "one")
    await rig.run("b = a + 1\nrecord('two')", "two")
    await rig.run("a = 5", "one")
    await rig.run("c = b * 2\nrecord('three')", "three")  # reads the stale b: not stale itself
    rig.ran.clear()
    with anyio.fail_after(WAIT):
        outcome = await rig.scheduler.run(StaleRun("run stale", "", 0, "<run stale>", False))
    assert outcome.status is Status.OK
    assert rig.ran == ["two"] and rig.namespace["b"] == 6
    assert rig.reactive.stale_cells() == ["three"]  # b changed under it


@pytest.mark.anyio
async def test_lazy_deleted_cell_makes_its_dependents_stale() -> None:
    rig = ReactRig()
    rig.reactive.enable(lazy=True)
    await rig.run("x = 5", "a")
    await rig.run("y = x * 2\nrecord('b')", "b")
    rig.ran.clear()
    token = current_request.set(fake_request({"deletedCells": ["a"]}))
    try:
        _, meta = await rig.run("z = 1", "c")
    finally:
        current_request.reset(token)
    assert meta["stale"] == ["b"] and rig.ran == []
    assert "x" not in rig.namespace


@pytest.mark.anyio
async def test_eager_again_after_lazy() -> None:
    rig = await lazy_diamond()
    rig.reactive.enable()
    _, meta = await rig.run("x = 3\nrecord('top')", "top")
    assert "stale" not in meta
    assert rig.namespace["b"] == 34


@pytest.mark.anyio
async def test_lazy_refining_cell_restores_its_input_first_and_marks_readers_stale() -> None:
    rig = ReactRig()
    rig.reactive.enable(lazy=True)
    await rig.run("data = [3, None, 1]\nrecord('load')", "load")
    await rig.run("data = [v for v in data if v is not None]\nrecord('clean')", "clean")
    await rig.run("total = sum(data)\nrecord('sum')", "sum")
    rig.ran.clear()
    _, meta = await rig.run("data = sorted(v for v in data if v is not None)\nrecord('clean')", "clean")
    # The definer runs again first (never cleaning its own output); the reader becomes stale.
    assert rig.ran == ["load", "clean"] and meta["reran"] == ["load"]
    assert meta["stale"] == ["sum"] and rig.namespace["data"] == [1, 3]
