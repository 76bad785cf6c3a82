"""Cache mode's switch and layer: the cell cache made when first needed, with the state set so
far (on/off, scope); cells passing through while cache mode is off (both anyio backends)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from braid_kernel.engine.scheduler import Scheduler
from braid_kernel.features.cache.engine.cache import CellCache
from braid_kernel.features.cache.engine.layer import CacheLayer, CacheSwitch
from braid_kernel.features.cache.engine.store import CacheStore
from tests.engine.fakes import Rig


class Maker:
    """Makes the cell cache a switch asks for, counting the calls."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.made: list[CellCache] = []

    def __call__(self) -> CellCache:
        directory = self.directory
        cache = CellCache(lambda: CacheStore(directory, 10**7, directory / "secret"))
        self.made.append(cache)
        return cache


def test_the_state_set_before_the_cache_is_made_is_passed_on(tmp_path: Path) -> None:
    make = Maker(tmp_path)
    switch = CacheSwitch(make, enabled=False)
    switch.scope = "notebook"
    switch.disable()
    assert make.made == [] and not switch.enabled
    switch.enable()
    assert len(make.made) == 1 and switch.built is make.made[0]
    assert switch.built.enabled and switch.built.scope == "notebook"
    switch.scope = "renamed"
    switch.disable()
    assert switch.built.scope == "renamed" and not switch.built.enabled
    assert switch.cache is make.made[0] and len(make.made) == 1


def test_a_scoped_switch_shares_the_store_and_starts_as_the_kernels_is_now(tmp_path: Path) -> None:
    make = Maker(tmp_path)
    kernel = CacheSwitch(make, enabled=True)
    session = kernel.scoped("s1")
    assert make.made == [] and session.enabled and session.scope == "s1"
    kernel.disable()
    assert session.enabled, "a session's switch is its own once made"
    assert session.cache.scope == "s1" and session.cache.enabled
    assert session.cache.store is kernel.cache.store
    assert not kernel.cache.enabled


@pytest.mark.anyio
async def test_cells_pass_through_while_cache_mode_is_off(tmp_path: Path) -> None:
    make = Maker(tmp_path)
    rig = Rig()
    switch = CacheSwitch(make, enabled=False)
    layer = CacheLayer(rig.runner, switch)
    rig.scheduler = Scheduler(layer)
    rig.host.namespace["__name__"] = "__main__"

    async def state(code: str) -> Any:
        cell = rig.cell(code)
        await rig.scheduler.run(cell)
        return cell.metadata.get("braid", {}).get("cache")

    assert await state("x = 1") is None
    assert make.made == [] and layer.built is None
    switch.enable()
    assert await state("y = [i for i in range(3)]") == "miss"
    assert await state("y = [i for i in range(3)]") == "hit"
    assert layer.built is not None and layer.built.cache is make.made[0]
    switch.disable()
    assert await state("y = [i for i in range(3)]") is None
