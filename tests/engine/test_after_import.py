"""AfterImport: an action right after a module's code first ran (on a module of our own), at
once for a module already imported."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

import pytest

from braid_kernel.engine.after_import import AfterImport


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
