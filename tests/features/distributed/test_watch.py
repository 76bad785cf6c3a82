"""What the kernel holds until Dask's client is imported: a watch that then makes the distributed
work (with ``%braid cancel-work``'s setting so far), and nothing to do for the cells before."""

from __future__ import annotations

import importlib
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from braid_kernel.engine.cell import Cell
from braid_kernel.engine.scheduler import Ending
from braid_kernel.features.distributed.engine import dask_futures, watch
from braid_kernel.features.distributed.engine.watch import WatchedWork


@pytest.fixture
def probe_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A module of our own standing for Dask's client (the watch waits for its import)."""
    (tmp_path / "braid_probe_client.py").write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(watch, "DASK_CLIENT", "braid_probe_client")
    yield "braid_probe_client"
    sys.modules.pop("braid_probe_client", None)


def test_the_watched_module_is_the_one_the_dask_hook_patches() -> None:
    assert watch.DASK_CLIENT == dask_futures.MODULE


def test_the_work_is_made_at_the_import_with_the_setting_so_far(probe_module: str) -> None:
    work = WatchedWork(dict)
    work.install()
    try:
        work.enabled = False
        cell = Cell("x = 1", "x = 1", 1, "<cell-1>", received=time.monotonic())
        work.cell_ended(cell, Ending.INTERRUPTED)  # nothing recorded, nothing to do
        assert work.work is None and work.cancelled_total == 0 and not work.enabled

        importlib.import_module(probe_module)
        assert work.work is not None and work.work.enabled is False
        work.enabled = True
        assert work.work.enabled and work.enabled
    finally:
        work.close()
    assert work.work is None
    assert not [hook for hook in sys.meta_path if getattr(hook, "name", None) == dask_futures.MODULE]
