"""DistributedWork's rule, without a cluster: what each cell created, and what an interrupt or
``%braid cancel`` cancels (with a fake kind of work)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from braid_kernel.engine.cell import Cell, current_cell
from braid_kernel.engine.scheduler import Ending
from braid_kernel.features.distributed.engine.work import DistributedWork, Record


class Job:
    def __init__(self, name: str, pending: bool = True) -> None:
        self.name = name
        self.is_pending = pending

    def __repr__(self) -> str:
        return self.name


class FakeKind:
    name = "fake"

    def __init__(self) -> None:
        self.record: Record | None = None
        self.cancelled: list[tuple[list[str], str]] = []

    def install(self, record: Record) -> None:
        self.record = record

    def uninstall(self) -> None:
        self.record = None

    def pending(self, item: object) -> bool:
        assert isinstance(item, Job)
        return item.is_pending

    def cancel(self, items: list[object], reason: str) -> None:
        self.cancelled.append((sorted(repr(i) for i in items), reason))

    def make(self, name: str, pending: bool = True) -> Job:
        job = Job(name, pending)
        assert self.record is not None
        self.record(self, job)
        return job


def _cell(count: int) -> Cell:
    return Cell(raw="", code="", execution_count=count, filename=f"<cell {count}>")


@pytest.fixture
def kind() -> Iterator[FakeKind]:
    yield FakeKind()


def _work(kind: FakeKind, namespace: dict[str, object] | None = None) -> DistributedWork:
    work = DistributedWork(lambda: namespace or {}, [kind])
    work.install()
    return work


def test_an_interrupt_cancels_the_cells_pending_work_only(kind: FakeKind) -> None:
    work = _work(kind)
    first, second = _cell(1), _cell(2)
    token = current_cell.set(first)
    keep = [kind.make("a"), kind.make("done", pending=False)]
    current_cell.reset(token)
    token = current_cell.set(second)
    keep.append(kind.make("b"))
    current_cell.reset(token)
    keep.append(kind.make("outside-any-cell"))
    work.cell_ended(first, Ending.INTERRUPTED)
    assert kind.cancelled == [(["a"], "cell [1] was interrupted")]
    work.cell_ended(second, Ending.FINISHED)
    assert len(kind.cancelled) == 1, "a cell ending by itself cancels nothing"


def test_braid_cancel_keeps_what_global_names_hold(kind: FakeKind) -> None:
    namespace: dict[str, object] = {}
    work = _work(kind, namespace)
    cell = _cell(3)
    token = current_cell.set(cell)
    namespace["shared"] = kind.make("shared")
    namespace["many"] = [kind.make("in-a-list")]
    namespace["by_key"] = {"x": kind.make("in-a-dict")}
    unnamed = kind.make("unnamed")
    current_cell.reset(token)
    work.cell_ended(cell, Ending.CANCELLED)
    assert kind.cancelled == [(["unnamed"], "cell [3] was cancelled")]
    del unnamed


def test_an_interrupt_cancels_named_work_too(kind: FakeKind) -> None:
    namespace: dict[str, object] = {}
    work = _work(kind, namespace)
    cell = _cell(4)
    token = current_cell.set(cell)
    namespace["fut"] = kind.make("named")
    current_cell.reset(token)
    work.cell_ended(cell, Ending.INTERRUPTED)
    assert kind.cancelled == [(["named"], "cell [4] was interrupted")]


def test_disabled_records_and_cancels_nothing(kind: FakeKind) -> None:
    work = _work(kind)
    cell = _cell(5)
    token = current_cell.set(cell)
    work.enabled = False
    job = kind.make("while-off")
    work.enabled = True
    current_cell.reset(token)
    work.cell_ended(cell, Ending.INTERRUPTED)
    assert kind.cancelled == []
    del job


def test_work_is_held_weakly(kind: FakeKind) -> None:
    """A future the user drops is not kept alive (Dask releases it as usual)."""
    work = _work(kind)
    cell = _cell(6)
    token = current_cell.set(cell)
    kind.make("dropped")
    current_cell.reset(token)
    work.cell_ended(cell, Ending.INTERRUPTED)
    assert kind.cancelled == []


def test_close_uninstalls_the_kinds(kind: FakeKind) -> None:
    work = _work(kind)
    assert kind.record is not None
    work.close()
    assert kind.record is None


def test_a_failing_cancel_never_reaches_the_scheduler(
    kind: FakeKind, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(items: list[object], reason: str) -> None:
        raise ConnectionError("the scheduler is gone")

    kind.cancel = broken  # type: ignore[method-assign]
    work = _work(kind)
    cell = _cell(7)
    token = current_cell.set(cell)
    job = kind.make("a")
    current_cell.reset(token)
    work.cell_ended(cell, Ending.INTERRUPTED)  # logs, does not raise
    assert "cancelling the distributed work of cell [7] failed" in caplog.text
    del job
