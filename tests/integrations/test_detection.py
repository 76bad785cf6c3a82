"""ImportTrigger: an action just before the first import of a module, then out of the way."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from braid_kernel.integrations.detection import ImportTrigger


@pytest.fixture
def module_dir(tmp_path: Path) -> Iterator[Path]:
    sys.path.insert(0, str(tmp_path))
    yield tmp_path
    sys.path.remove(str(tmp_path))
    for name in [n for n in sys.modules if n.startswith("braid_trigger_")]:
        del sys.modules[name]


def test_the_action_runs_once_before_the_module_and_the_finder_leaves(module_dir: Path) -> None:
    (module_dir / "braid_trigger_a.py").write_text(
        "import builtins\nSEEN = list(builtins.braid_trigger_log)\n"
    )
    log: list[str] = []
    import builtins

    builtins.braid_trigger_log = log  # type: ignore[attr-defined]
    trigger = ImportTrigger({"braid_trigger_a": lambda: log.append("prepared")})
    trigger.install()
    try:
        import braid_trigger_a  # type: ignore[import-not-found]

        assert braid_trigger_a.SEEN == ["prepared"]  # the action ran before the module's code
        assert trigger not in sys.meta_path
        del sys.modules["braid_trigger_a"]
        import braid_trigger_a  # imported again: no second action

        assert log == ["prepared"]
    finally:
        trigger.uninstall()
        del builtins.braid_trigger_log  # type: ignore[attr-defined]


def test_a_failing_action_does_not_stop_the_import(module_dir: Path) -> None:
    (module_dir / "braid_trigger_b.py").write_text("VALUE = 7\n")

    def fail() -> None:
        raise RuntimeError("boom")

    trigger = ImportTrigger({"braid_trigger_b": fail})
    trigger.install()
    try:
        import braid_trigger_b  # type: ignore[import-not-found]

        assert braid_trigger_b.VALUE == 7
    finally:
        trigger.uninstall()


def test_other_imports_pass_through(module_dir: Path) -> None:
    (module_dir / "braid_trigger_c.py").write_text("VALUE = 1\n")
    trigger = ImportTrigger({"braid_trigger_never": lambda: None})
    trigger.install()
    try:
        import braid_trigger_c  # type: ignore[import-not-found]

        assert braid_trigger_c.VALUE == 1
        assert trigger in sys.meta_path
    finally:
        trigger.uninstall()
