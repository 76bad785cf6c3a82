"""The Dask hook: installed only when ``distributed.client`` is imported, and a stand-in for
``Future.__init__`` while installed (AfterImport itself: tests/engine/test_import_hooks.py)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

SCRIPT = """
import sys
from braid_kernel.engine.cell import Cell, current_cell
from braid_kernel.features.distributed.engine.work import DistributedWork
from braid_kernel.features.distributed.engine.dask_futures import DaskFutures

recorded = []
kind = DaskFutures()
work = DistributedWork(dict, [kind])
work.record = lambda k, item: recorded.append(item)  # what the hook calls, seen directly
kind.install(work.record)
assert "distributed" not in sys.modules, "installing the hook imported distributed"
import distributed, inspect
from distributed.client import Future
assert Future.__init__.__name__ == "__init__" and Future.__init__.__qualname__ == "Future.__init__"
assert list(inspect.signature(Future.__init__).parameters)[:3] == ["self", "key", "client"]
future = Future("some-key")
assert recorded == [future], recorded
kind.uninstall()
assert "__wrapped__" not in vars(Future.__init__)
print("ok")
"""


def test_the_dask_hook_waits_for_the_import_and_passes_for_the_original() -> None:
    pytest.importorskip("distributed", reason="needs the scale extra (dask[distributed])")
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(SCRIPT)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.stdout.strip() == "ok", done.stderr
