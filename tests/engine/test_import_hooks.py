"""The first-import hooks, on modules of our own: BeforeImport (an action just before the module is
loaded, then out of the way) and AfterImport (an action right after its code first ran, at once
for a module already imported)."""

from __future__ import annotations

import builtins
import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from braid_kernel.engine.import_hooks import AfterImport, BeforeImport


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


@pytest.fixture
def module_dir(tmp_path: Path) -> Iterator[Path]:
    sys.path.insert(0, str(tmp_path))
    yield tmp_path
    sys.path.remove(str(tmp_path))
    for name in [n for n in sys.modules if n.startswith("braid_trigger_")]:
        del sys.modules[name]


def test_before_import_runs_once_before_the_module_and_leaves(module_dir: Path) -> None:
    (module_dir / "braid_trigger_a.py").write_text(
        "import builtins\nSEEN = list(builtins.braid_trigger_log)\n"
    )
    log: list[str] = []
    builtins.braid_trigger_log = log  # type: ignore[attr-defined]
    hook = BeforeImport("braid_trigger_a", lambda: log.append("prepared"))
    hook.install()
    try:
        import braid_trigger_a  # type: ignore[import-not-found]

        assert braid_trigger_a.SEEN == ["prepared"]  # the action ran before the module's code
        assert hook not in sys.meta_path
        del sys.modules["braid_trigger_a"]
        import braid_trigger_a  # imported again: no second action

        assert log == ["prepared"]
    finally:
        hook.uninstall()
        del builtins.braid_trigger_log  # type: ignore[attr-defined]


def test_a_failing_action_does_not_stop_the_import(module_dir: Path) -> None:
    (module_dir / "braid_trigger_b.py").write_text("VALUE = 7\n")

    def fail() -> None:
        raise RuntimeError("boom")

    hook = BeforeImport("braid_trigger_b", fail)
    hook.install()
    try:
        import braid_trigger_b  # type: ignore[import-not-found]

        assert braid_trigger_b.VALUE == 7
    finally:
        hook.uninstall()


def test_other_imports_pass_through(module_dir: Path) -> None:
    (module_dir / "braid_trigger_c.py").write_text("VALUE = 1\n")
    hook = BeforeImport("braid_trigger_never", lambda: None)
    hook.install()
    try:
        import braid_trigger_c  # type: ignore[import-not-found]

        assert braid_trigger_c.VALUE == 1
        assert hook in sys.meta_path
    finally:
        hook.uninstall()
