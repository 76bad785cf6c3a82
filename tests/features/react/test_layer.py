"""The reactive layer every shell's runner chain holds: a pass-through until reactive mode is
first used, then the reactive runner (both anyio backends)."""

from __future__ import annotations

import pytest

from braid_kernel.engine.scheduler import Scheduler
from braid_kernel.features.react.engine.layer import ReactLayer
from tests.engine.fakes import Rig


def _rig(**options: bool) -> tuple[Rig, ReactLayer]:
    rig = Rig()
    layer = ReactLayer(rig.runner, **options)
    rig.scheduler = Scheduler(layer)
    return rig, layer


@pytest.mark.anyio
async def test_cells_pass_through_until_the_reactive_runner_is_asked_for() -> None:
    rig, layer = _rig()
    cell = rig.cell("x = 1", cell_id="a")
    await rig.scheduler.run(cell)
    assert rig.host.namespace["x"] == 1
    assert layer.built is None and "braid" not in cell.metadata

    layer.runner().enable()
    await rig.run("y = x + 1", cell_id="b")
    again = rig.cell("x = 5", cell_id="a")
    await rig.scheduler.run(again)
    assert again.metadata["braid"]["reran"] == ["b"]
    assert rig.host.namespace["y"] == 6


@pytest.mark.anyio
async def test_a_runner_made_and_left_off_passes_cells_through() -> None:
    rig, layer = _rig()
    runner = layer.runner()
    assert layer.runner() is runner and not runner.enabled
    cell = rig.cell("x = 1", cell_id="a")
    await rig.scheduler.run(cell)
    assert rig.host.namespace["x"] == 1 and "braid" not in cell.metadata


@pytest.mark.anyio
async def test_reactive_mode_on_from_the_start_in_its_lazy_form() -> None:
    rig, layer = _rig(enabled=True, lazy=True)
    assert layer.built is not None and layer.built.enabled and layer.built.lazy
    await rig.run("x = 1", cell_id="a")
    await rig.run("y = x + 1", cell_id="b")
    again = rig.cell("x = 5", cell_id="a")
    await rig.scheduler.run(again)
    assert again.metadata["braid"]["stale"] == ["b"]
    assert rig.host.namespace["y"] == 2
