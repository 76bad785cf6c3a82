"""The supported Python versions: declared in pyproject, checked in the code."""

from __future__ import annotations

import asyncio
import sys
import tomllib
from pathlib import Path
from typing import cast

import pytest

from braid_kernel import pythons
from braid_kernel.app.cli import main
from braid_kernel.engine.modes import Backend, GuiLoop
from braid_kernel.errors import ConfigError
from braid_kernel.features.gui import feature as gui_feature
from braid_kernel.features.gui.engine.checks import ASYNCIO_GUEST_LOOP_INTERNALS
from braid_kernel.pythons import TESTED_PYTHONS, require_internals, untested_python
from braid_kernel.shell.ipshell import ZMQInteractiveShell

ROOT = Path(__file__).resolve().parent.parent


def test_this_python_is_a_tested_one() -> None:
    # Fails on a Python nobody has run the suite on: run it, fix what breaks, add the version
    # to TESTED_PYTHONS and to pyproject's classifiers.
    running = (sys.version_info.major, sys.version_info.minor)
    assert running in TESTED_PYTHONS, f"Python {running} is not in braid_kernel.pythons.TESTED_PYTHONS"
    assert untested_python() is None


def test_pyproject_classifiers_name_exactly_the_tested_versions() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    prefix = "Programming Language :: Python :: "
    versions = {c.removeprefix(prefix) for c in project["classifiers"] if c.startswith(prefix)}
    minors = {v for v in versions if v.count(".") == 1}
    assert minors == {f"{major}.{minor}" for major, minor in TESTED_PYTHONS}
    lowest = min(TESTED_PYTHONS)
    assert project["requires-python"] == f">={lowest[0]}.{lowest[1]}"


def test_an_untested_python_gets_a_warning_naming_both_versions() -> None:
    warning = untested_python((3, 99))
    assert warning is not None
    assert "3.99" in warning and "3.11" in warning


def test_the_private_asyncio_details_the_gui_guest_uses_are_there() -> None:
    require_internals(asyncio.BaseEventLoop, ASYNCIO_GUEST_LOOP_INTERNALS, "asyncio as a GUI guest")
    require_internals(asyncio, ("_set_running_loop",), "asyncio as a GUI guest")


def test_a_missing_private_detail_is_a_config_error_naming_it() -> None:
    with pytest.raises(ConfigError, match=r"--loop tk on asyncio relies on BaseEventLoop\._gone_in_3_99"):
        require_internals(asyncio.BaseEventLoop, ("_run_once", "_gone_in_3_99"), "--loop tk on asyncio")


def test_braid_kernel_install_warns_on_an_untested_python(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(pythons, "TESTED_PYTHONS", ((3, 99),))
    assert main(["install", "--prefix", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert "warning: braid-kernel is tested on Python 3.99, not on 3." in err


def test_braid_kernel_install_says_nothing_more_on_a_tested_python(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["install", "--prefix", str(tmp_path)]) == 0
    assert capsys.readouterr().err == ""


def test_a_gui_loop_on_asyncio_refuses_to_start_without_asyncios_loop_iteration(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # what a Python that renamed BaseEventLoop._run_once would meet: a startup error naming it
    monkeypatch.delattr(asyncio.BaseEventLoop, "_run_once")
    with pytest.raises(ConfigError, match=r"--loop tk on asyncio relies on BaseEventLoop\._run_once"):
        gui_feature.build(cast(ZMQInteractiveShell, None), GuiLoop.TK, Backend.ASYNCIO)
