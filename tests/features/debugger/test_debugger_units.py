"""The debugger's parts that need no debug adapter: namespace view, Jupyter requests, probes."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

import pytest

import braid_kernel.features.debugger.engine as debugger_package
from braid_kernel.engine.cellfiles import CellFiles
from braid_kernel.features.debugger.engine import Debugger, DebuggerError, is_untraced, untraced
from braid_kernel.features.debugger.engine import requests as req
from braid_kernel.features.debugger.engine.probe import Capture, deliver
from braid_kernel.features.debugger.engine.stopped import StoppedThreads
from braid_kernel.features.debugger.engine.variables import (
    FIRST_REFERENCE,
    VariableTable,
    is_internal_name,
    is_user_variable,
    short_repr,
)

pytestmark = pytest.mark.timeout(60)


class Point:
    def __init__(self) -> None:
        self.x = 1
        self.y = [2, 3]


def test_public_names_are_exported() -> None:
    assert set(debugger_package.__all__) == {
        "AdapterTimeout",
        "AdapterUnavailable",
        "Debugger",
        "DebuggerError",
        "FramingError",
        "is_untraced",
        "untraced",
    }
    for name in debugger_package.__all__:
        assert getattr(debugger_package, name) is not None


def test_untraced_sets_the_attributes_pydevd_reads() -> None:
    thread = threading.Thread(target=lambda: None)
    assert not is_untraced(thread)
    assert untraced(thread) is thread
    assert thread.pydev_do_not_trace is True  # type: ignore[attr-defined]
    assert thread.is_pydev_daemon_thread is True  # type: ignore[attr-defined]
    assert is_untraced(thread)


INTERNAL = ["In", "Out", "_", "__", "___", "_i", "_ii", "_i12", "_7", "_oh", "_dh", "exit"]


@pytest.mark.parametrize("name", INTERNAL)
def test_ipython_names_are_internal(name: str) -> None:
    assert is_internal_name(name)


@pytest.mark.parametrize("name", ["x", "df", "_private_but_user", "i", "Input"])
def test_ordinary_names_are_not_internal(name: str) -> None:
    assert not is_internal_name(name)


def test_explorer_shows_data_but_not_modules_classes_functions_or_private_names() -> None:
    assert is_user_variable("x", 42)
    assert is_user_variable("p", Point())
    assert not is_user_variable("os", os)
    assert not is_user_variable("Point", Point)
    assert not is_user_variable("dumps", json.dumps)
    assert not is_user_variable("f", lambda: 1)
    assert not is_user_variable("_hidden", 1)
    assert not is_user_variable("In", [])


def test_short_repr_truncates_and_survives_broken_reprs() -> None:
    class Broken:
        def __repr__(self) -> str:
            raise ValueError("nope")

    assert short_repr("a" * 50, limit=10) == repr("a" * 50)[:9] + "…"
    assert short_repr(Broken()).startswith("<repr failed: ValueError")


def test_table_lists_the_namespace_and_expands_children() -> None:
    table = VariableTable()
    namespace = {"x": 41 + 1, "p": Point(), "d": {"k": [1]}, "os": os, "_i1": "x"}
    listed = {v["name"]: v for v in table.namespace(namespace)}
    assert set(listed) == {"x", "p", "d"}
    expected_x = {"name": "x", "value": "42", "type": "int", "variablesReference": 0, "evaluateName": "x"}
    assert listed["x"] == expected_x
    point = table.children(listed["p"]["variablesReference"])
    assert [(c["name"], c["value"]) for c in point] == [("x", "1"), ("y", "[2, 3]")]
    assert point[1]["variablesReference"] >= FIRST_REFERENCE
    entries = table.children(listed["d"]["variablesReference"])
    assert [(c["name"], c["type"]) for c in entries] == [("'k'", "list")]


def test_table_pages_children_and_forgets_on_clear() -> None:
    table = VariableTable()
    (entry,) = table.namespace({"big": list(range(10))})
    reference = entry["variablesReference"]
    assert [c["name"] for c in table.children(reference, start=3, count=2)] == ["3", "4"]
    table.clear()
    assert reference not in table
    (again,) = table.namespace({"big": list(range(10))})
    assert again["variablesReference"] != reference


def test_placed_breakpoints_keep_conditions_at_the_reported_lines() -> None:
    requested: list[dict[str, Any]] = [{"line": 3, "condition": "x > 1"}, {"line": 9}]
    reported: list[dict[str, Any]] = [{"verified": True, "line": 4}, {"verified": False}]
    assert req.placed_breakpoints(requested, reported) == [{"line": 4, "condition": "x > 1"}, {"line": 9}]


def test_source_of_a_registered_cell_needs_no_file(tmp_path: Path) -> None:
    cells = CellFiles(directory=tmp_path / "cells")
    name = cells.register("a = 1\n")
    assert not Path(name).exists()
    assert req.source_body(name, cells) == {"content": "a = 1\n"}
    with pytest.raises(DebuggerError):
        req.source_body(str(tmp_path / "missing.py"), cells)


def test_capture_receives_the_object_evaluated_in_a_namespace() -> None:
    value = object()
    with Capture() as capture:
        assert eval(capture.expression("v"), {"v": value}) == "delivered"
        assert capture.value is value
    assert deliver(capture.token, 1) == "expired"
    with Capture() as empty, pytest.raises(DebuggerError):
        _ = empty.value


Offline = tuple[Debugger, dict[str, Any], list[dict[str, Any]]]


@pytest.fixture
def offline(tmp_path: Path) -> Offline:
    """A Debugger that is never started (debugpy is not loaded into the test process)."""
    namespace: dict[str, Any] = {"x": 41 + 1, "os": os, "In": [""]}
    events: list[dict[str, Any]] = []
    debugger = Debugger(
        send_event=events.append,
        cell_files=CellFiles(directory=tmp_path / "cells"),
        user_namespace=lambda: namespace,
        rich_repr=lambda obj: ({"text/plain": repr(obj), "text/html": f"<b>{obj!r}</b>"}, {}),
    )
    return debugger, namespace, events


def request(command: str, seq: int = 7, **arguments: Any) -> dict[str, Any]:
    return {"seq": seq, "type": "request", "command": command, "arguments": arguments}


def test_offline_debug_info_and_dump_cell(offline: Offline, tmp_path: Path) -> None:
    debugger, _, _ = offline
    info = debugger.handle(request("debugInfo"))
    assert info["success"] and info["request_seq"] == 7 and info["command"] == "debugInfo"
    assert info["body"]["isStarted"] is False
    assert info["body"]["tmpFilePrefix"] == str(tmp_path / "cells") + os.sep
    dumped = debugger.handle(request("dumpCell", code="y = 2\n"))
    path = Path(dumped["body"]["sourcePath"])
    assert path.read_text() == "y = 2\n"
    assert path.name == CellFiles(directory=tmp_path / "cells").filename("y = 2\n").rsplit(os.sep, 1)[1]
    assert debugger.handle(request("source", source={"path": str(path)}))["body"]["content"] == "y = 2\n"


def test_offline_namespace_requests(offline: Offline) -> None:
    debugger, namespace, _ = offline
    listed = debugger.handle(request("inspectVariables"))["body"]["variables"]
    assert [(v["name"], v["value"]) for v in listed] == [("x", "42")]
    rich = debugger.handle(request("richInspectVariables", variableName="x"))["body"]
    assert rich["data"] == {"text/plain": "42", "text/html": "<b>42</b>"}
    copied = debugger.handle(request("copyToGlobals", srcVariableName="x", dstVariableName="y", srcFrameId=1))
    assert copied["success"] and namespace["y"] == 42


def test_offline_requests_needing_debugpy_fail_politely(offline: Offline) -> None:
    debugger, _, events = offline
    for command in ("attach", "configurationDone", "threads", "stackTrace", "setBreakpoints", "continue"):
        reply = debugger.handle(request(command, threadId=1))
        assert reply["success"] is False and "not started" in reply["message"], reply
    assert debugger.handle(request("disconnect"))["success"] is True
    assert events == []
    debugger.close()


@pytest.mark.parametrize(
    "bad",
    [
        {"seq": 1, "type": "request"},
        {"seq": 1, "type": "request", "command": "dumpCell", "arguments": "code"},
        {"seq": 1, "type": "request", "command": "dumpCell", "arguments": {"code": 3}},
        request("richInspectVariables", seq=1, variableName="a.b"),
        request("richInspectVariables", seq=1, variableName="nope"),
        {"seq": 1, "type": "request", "command": "source", "arguments": {}},
    ],
)
def test_bad_requests_become_failed_replies(offline: Offline, bad: dict[str, Any]) -> None:
    debugger, _, _ = offline
    reply = debugger.handle(bad)
    assert reply["success"] is False and reply["message"] and reply["request_seq"] == 1


def test_handle_marks_the_calling_thread_untraced(offline: Offline) -> None:
    debugger, _, _ = offline
    seen: list[bool] = []

    def control() -> None:
        seen.append(debugger.handle(request("debugInfo"))["success"])

    thread = threading.Thread(target=control)
    thread.start()
    thread.join(5)
    assert seen == [True] and is_untraced(thread)


def test_replies_to_garbage_are_still_well_typed(offline: Offline) -> None:
    debugger, _, _ = offline
    reply = debugger.handle({"seq": "one", "command": None})
    assert reply["success"] is False
    assert reply["type"] == "response" and reply["request_seq"] == 0 and reply["command"] == ""
    assert isinstance(reply["seq"], int)


def stopped_event(thread_id: int) -> dict[str, Any]:
    return {"type": "event", "event": "stopped", "body": {"threadId": thread_id, "allThreadsStopped": True}}


def test_stopped_threads_follow_stopped_and_continued_events() -> None:
    stopped = StoppedThreads()
    stopped.on_event(stopped_event(3))
    stopped.on_event(stopped_event(1))
    stopped.on_event({"type": "event", "event": "output", "body": {"output": "x"}})
    assert stopped.snapshot() == [1, 3]
    stopped.on_event({"type": "event", "event": "continued", "body": {"threadId": 3}})
    assert stopped.snapshot() == [1]
    stopped.on_event(
        {"type": "event", "event": "continued", "body": {"threadId": 1, "allThreadsContinued": True}}
    )
    assert not stopped


def test_continue_forgets_stopped_threads_unless_it_fails() -> None:
    stopped = StoppedThreads()
    stopped.on_event(stopped_event(1))
    with stopped.resuming({"threadId": 1}):
        assert not stopped  # a stopped event from now on belongs to the next stop
    assert stopped.snapshot() == [1]  # not confirmed: still stopped
    with stopped.resuming({"threadId": 1}) as resumption:
        resumption.confirm()
    assert stopped.snapshot() == []
