"""JupyterLab's debugger flow against a real debugpy, in a stand-in kernel process.

``debugger_harness.py`` runs once per module in a subprocess (debugpy can be
started only once per process): its main thread runs cells, its control
thread sends the requests JupyterLab sends.  The tests assert on its report.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

HARNESS = Path(__file__).with_name("debugger_harness.py")
RUN_LIMIT = 45.0

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("debugger")
    report_path = tmp / "report.json"
    env = dict(os.environ)
    # The Debugger must silence pydevd's frozen-modules warning by itself.
    env.pop("PYDEVD_DISABLE_FILE_VALIDATION", None)
    process = subprocess.Popen(
        [sys.executable, str(HARNESS), str(tmp / "cells"), str(report_path)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, err = process.communicate(timeout=RUN_LIMIT)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, f"harness failed:\n{out}\n{err}"
    result: dict[str, Any] = json.loads(report_path.read_text())
    result["harness_stderr"] = err
    result["cell_dir"] = str(tmp / "cells")
    return result


def test_harness_ran_every_step(report: dict[str, Any]) -> None:
    assert report.get("error") is None, report.get("error")
    assert report["completed"] is True


def test_debug_info_announces_cell_naming(report: dict[str, Any]) -> None:
    info = report["debug_info_before"]
    assert info["isStarted"] is False
    assert info["hashMethod"] == "Murmur2"
    assert info["hashSeed"] == 0xB2A1D5EE
    assert info["tmpFilePrefix"] == report["cell_dir"] + os.sep
    assert info["tmpFileSuffix"] == ".py"
    assert info["richRendering"] is True and info["copyToGlobals"] is True
    assert info["exceptionPaths"] == ["Python Exceptions"]


def test_initialize_and_attach_succeed_and_publish_events(report: dict[str, Any]) -> None:
    assert report["initialize"]["body"]["supportsConfigurationDoneRequest"] is True
    assert report["attach"]["success"] is True
    assert "initialized" in report["events_after_attach"]


def test_dump_cell_writes_the_named_file(report: dict[str, Any]) -> None:
    path = Path(report["dumped_path"])
    assert path.parent == Path(report["cell_dir"])
    assert path.read_text() == report["source"] == "x = 41 + 1\ny = x * 2\nz = [x, y]\n"


def test_breakpoint_is_hit_at_its_line(report: dict[str, Any]) -> None:
    placed = report["set_breakpoints"]
    assert placed[0]["verified"] is True and placed[0]["line"] == 2
    assert report["debug_info_started"]["breakpoints"] == [
        {"source": report["dumped_path"], "breakpoints": [{"line": 2}]}
    ]
    stop = report["stop"]
    assert stop["event"]["body"]["reason"] == "breakpoint"
    assert stop["event"]["body"]["hitBreakpointIds"] == [placed[0]["id"]]
    assert stop["top"]["line"] == 2
    assert stop["top"]["source"]["path"] == report["dumped_path"]
    assert report["debug_info_stopped"]["stoppedThreads"] == [stop["event"]["body"]["threadId"]]


def test_frame_variables_show_values_and_hide_ipython_names(report: dict[str, Any]) -> None:
    at_stop = report["variables_at_stop"]
    assert at_stop["x"] == "42"
    assert "y" not in at_stop  # line 2 has not run yet
    assert not {"In", "Out", "_i1", "_1"} & set(at_stop)
    assert report["variables_after_step"]["y"] == "84"


def test_rich_inspection_in_a_frame_uses_rich_repr(report: dict[str, Any]) -> None:
    assert report["rich_in_frame"] == {
        "data": {"text/plain": "42"},
        "metadata": {"text/plain": {"from": "rich_repr"}},
    }
    missing = report["rich_missing_in_frame"]
    assert missing["success"] is False and "NameError" in missing["message"]


def test_other_requests_are_relayed_to_debugpy(report: dict[str, Any]) -> None:
    assert report["evaluate"]["result"] == "43"
    assert report["unknown_while_attached"]["success"] is False


def test_next_then_continue_finish_the_cell(report: dict[str, Any]) -> None:
    assert report["step"]["event"]["body"]["reason"] == "step"
    assert report["step"]["top"]["line"] == 3
    assert report["cell_step_outcome"] == "ok"
    assert report["debug_info_resumed"]["stoppedThreads"] == []
    assert report["namespace"]["z"] == "[42, 84]"


def test_kernel_threads_are_not_listed(report: dict[str, Any]) -> None:
    assert report["threads"] == ["MainThread"]


def test_copy_to_globals_copies_a_frame_local(report: dict[str, Any]) -> None:
    assert report["function_stop_top"]["name"] == "f"
    assert report["copy"]["body"]["value"] == "11"
    assert report["namespace"]["copied"] == "11"


def test_inspect_variables_lists_user_data_only(report: dict[str, Any]) -> None:
    listed = report["inspect"]
    assert set(listed) == {"x", "y", "z", "result", "copied"}
    assert listed["x"]["value"] == "42" and listed["x"]["type"] == "int"
    assert listed["x"]["variablesReference"] == 0
    assert [(c["name"], c["value"]) for c in report["z_children"]] == [("0", "42"), ("1", "84")]


def test_rich_inspection_without_frame_reads_the_namespace(report: dict[str, Any]) -> None:
    assert report["rich_namespace"]["data"] == {"text/plain": "42"}
    assert report["rich_undefined"]["success"] is False
    assert report["rich_bad_name"]["success"] is False


def test_modules_lists_loaded_python_modules(report: dict[str, Any]) -> None:
    assert report["modules"]["json"].endswith("__init__.py")
    assert report["modules_total"] > 10


def test_disconnect_resets_state_and_reattach_works(report: dict[str, Any]) -> None:
    assert report["disconnect"]["success"] is True
    assert report["debug_info_disconnected"]["isStarted"] is False
    assert report["debug_info_disconnected"]["breakpoints"] == []
    assert report["forward_while_disconnected"]["success"] is False
    assert "initialized" in report["events_after_reattach"]
    assert report["second_stop_top"]["line"] == 2


def test_disconnect_while_stopped_lets_the_cell_finish(report: dict[str, Any]) -> None:
    assert report["disconnect_while_stopped"]["success"] is True
    assert report["cell_again_outcome"] == "ok"
    assert report["namespace"]["w"] == "8"
    assert report["cell_last_outcome"] == "ok"
    assert report["namespace"]["v"] == "'resumed!'"


def test_events_are_json_and_no_warning_reaches_cells(report: dict[str, Any]) -> None:
    assert report["captured_output"] == ""
    assert "frozen modules" not in report["harness_stderr"]
    assert "pydevd" not in report["harness_stderr"]


def test_no_adapter_process_and_no_port_is_left_after_disconnect(report: dict[str, Any]) -> None:
    """pydevd's connection is the kernel's alone: no debug adapter process, no listening port."""
    assert report["listening_after_disconnect"] == []
    assert report["children_after_disconnect"] == []
