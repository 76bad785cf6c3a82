"""The Dask hook: installed only when ``distributed.client`` is imported, and a stand-in for
``Future.__init__`` while installed; AfterImport on a module of our own."""

from __future__ import annotations

import importlib
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

from braid_kernel.features.distributed.engine.after_import import AfterImport


def test_after_import_runs_once_the_module_has_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "braid_probe_mod.py").write_text("VALUE = 41\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    seen: list[int] = []

    def action(module: ModuleType) -> None:
        seen.append(module.VALUE + 1)

    hook = AfterImport("braid_probe_mod", action)
    hook.install()
    try:
        assert seen == [] and "braid_probe_mod" not in sys.modules
        importlib.import_module("braid_probe_mod")

        assert seen == [42]
        assert hook not in sys.meta_path, "the hook leaves sys.meta_path once it fired"
        spec = sys.modules["braid_probe_mod"].__spec__
        assert spec is not None
        loader = spec.loader
        assert "exec_module" not in vars(loader), "the loader keeps its own method"
    finally:
        hook.uninstall()
        sys.modules.pop("braid_probe_mod", None)


def test_after_import_fires_at_once_for_an_imported_module() -> None:
    seen: list[str] = []
    AfterImport("json", lambda module: seen.append(module.__name__)).install()
    assert seen == ["json"]


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
