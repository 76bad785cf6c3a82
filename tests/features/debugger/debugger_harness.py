"""A stand-in kernel that drives braid_kernel's Debugger, run as a subprocess by the tests.

The main thread plays the thread that runs cells: it executes what the
control thread queues, compiled under the cell's file name, in a user
namespace.  A second thread plays the control thread and talks DAP to the
Debugger exactly as JupyterLab would.  Everything observed is written as JSON
to the report file given on the command line; the tests assert on it.

usage: python debugger_harness.py CELL_DIR REPORT_PATH
"""

from __future__ import annotations

import builtins
import io
import itertools
import json
import os
import queue
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

import psutil

from braid_kernel.engine.cellfiles import CellFiles
from braid_kernel.features.debugger.engine import Debugger, untraced

WAIT = 20.0

CELL_STEP = "x = 41 + 1\ny = x * 2\nz = [x, y]\n"
CELL_FUNCTION = "def f(a):\n    local = a + 1\n    return local\n\nresult = f(10)\n"
CELL_AGAIN = "w = 7\nw += 1\n"
CELL_LAST = "v = 'resumed'\nv += '!'\n"


class Events:
    """What send_event received, waited on by name."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self.cond = threading.Condition()

    def __call__(self, event: dict[str, Any]) -> None:
        json.dumps(event)  # the kernel will serialize it: must be JSON
        with self.cond:
            self.items.append(event)
            self.cond.notify_all()

    def mark(self) -> int:
        with self.cond:
            return len(self.items)

    def wait(self, name: str, since: int) -> dict[str, Any]:
        deadline = time.monotonic() + WAIT
        with self.cond:
            while True:
                for event in self.items[since:]:
                    if event.get("event") == name:
                        return event
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no {name!r} event within {WAIT} s")
                self.cond.wait(left)


class Control:
    """The control thread's side: sends requests, runs cells on the main thread."""

    def __init__(
        self, debugger: Debugger, cell_files: CellFiles, events: Events, cells: queue.Queue[Any]
    ) -> None:
        self.debugger = debugger
        self.cell_files = cell_files
        self.events = events
        self.cells = cells
        self.finished: queue.Queue[str] = queue.Queue()
        self.seq = itertools.count(1)
        self.report: dict[str, Any] = {}

    def call(self, command: str, **arguments: Any) -> dict[str, Any]:
        request = {"seq": next(self.seq), "type": "request", "command": command, "arguments": arguments}
        response = self.debugger.handle(request)
        assert response["request_seq"] == request["seq"], response
        return response

    def ok(self, command: str, **arguments: Any) -> dict[str, Any]:
        response = self.call(command, **arguments)
        assert response["success"], response
        return response

    def run_cell(self, code: str) -> None:
        self.cells.put((code, self.cell_files.filename(code)))

    def cell_done(self) -> str:
        return self.finished.get(timeout=WAIT)

    def stopped(self, since: int) -> dict[str, Any]:
        event = self.events.wait("stopped", since)
        thread_id = event["body"]["threadId"]
        frames = self.ok("stackTrace", threadId=thread_id)["body"]["stackFrames"]
        return {"event": event, "frames": frames, "thread_id": thread_id}

    def frame_variables(self, frame_id: int) -> dict[str, str]:
        scopes = self.ok("scopes", frameId=frame_id)["body"]["scopes"]
        found: dict[str, str] = {}
        for scope in scopes:
            listing = self.ok("variables", variablesReference=scope["variablesReference"])
            for var in listing["body"]["variables"]:
                found.setdefault(var["name"], var["value"])
        return found


def first_session(c: Control) -> None:
    r = c.report
    r["debug_info_before"] = c.ok("debugInfo")["body"]
    mark = c.events.mark()
    r["initialize"] = c.ok(
        "initialize",
        clientID="jupyterlab",
        adapterID="python",
        pathFormat="path",
        linesStartAt1=True,
        columnsStartAt1=True,
    )
    r["attach"] = c.ok("attach")
    r["events_after_attach"] = [e["event"] for e in c.events.items[mark:]]
    path = c.ok("dumpCell", code=CELL_STEP)["body"]["sourcePath"]
    r["dumped_path"] = path
    r["source"] = c.ok("source", source={"path": path})["body"]["content"]
    bps = c.ok("setBreakpoints", source={"path": path}, breakpoints=[{"line": 2}], sourceModified=False)
    r["set_breakpoints"] = bps["body"]["breakpoints"]
    c.ok("configurationDone")
    r["debug_info_started"] = c.ok("debugInfo")["body"]

    mark = c.events.mark()
    c.run_cell(CELL_STEP)
    stop = c.stopped(mark)
    r["stop"] = {"event": stop["event"], "top": stop["frames"][0]}
    r["threads"] = [t["name"] for t in c.ok("threads")["body"]["threads"]]
    r["debug_info_stopped"] = c.ok("debugInfo")["body"]
    frame_id = stop["frames"][0]["id"]
    r["variables_at_stop"] = c.frame_variables(frame_id)
    r["rich_in_frame"] = c.ok("richInspectVariables", variableName="x", frameId=frame_id)["body"]
    r["rich_missing_in_frame"] = c.call("richInspectVariables", variableName="y", frameId=frame_id)
    r["evaluate"] = c.ok("evaluate", expression="x + 1", frameId=frame_id, context="repl")["body"]

    mark = c.events.mark()
    c.ok("next", threadId=stop["thread_id"])
    step = c.stopped(mark)
    r["step"] = {"event": step["event"], "top": step["frames"][0]}
    r["variables_after_step"] = c.frame_variables(step["frames"][0]["id"])
    c.ok("continue", threadId=step["thread_id"])
    r["cell_step_outcome"] = c.cell_done()
    r["debug_info_resumed"] = c.ok("debugInfo")["body"]


def copy_to_globals(c: Control) -> None:
    r = c.report
    path = c.ok("dumpCell", code=CELL_FUNCTION)["body"]["sourcePath"]
    c.ok("setBreakpoints", source={"path": path}, breakpoints=[{"line": 3}])
    mark = c.events.mark()
    c.run_cell(CELL_FUNCTION)
    stop = c.stopped(mark)
    r["function_stop_top"] = stop["frames"][0]
    frame_id = stop["frames"][0]["id"]
    r["copy"] = c.ok("copyToGlobals", srcVariableName="local", dstVariableName="copied", srcFrameId=frame_id)
    c.ok("continue", threadId=stop["thread_id"])
    r["cell_function_outcome"] = c.cell_done()


def namespace_view(c: Control) -> None:
    r = c.report
    listing = c.ok("inspectVariables")["body"]["variables"]
    r["inspect"] = {v["name"]: v for v in listing}
    z_ref = r["inspect"]["z"]["variablesReference"]
    r["z_children"] = c.ok("variables", variablesReference=z_ref)["body"]["variables"]
    r["rich_namespace"] = c.ok("richInspectVariables", variableName="x")["body"]
    r["rich_undefined"] = c.call("richInspectVariables", variableName="nope")
    r["rich_bad_name"] = c.call("richInspectVariables", variableName="x; import os")
    modules = c.ok("modules")["body"]
    r["modules"] = {m["name"]: m["path"] for m in modules["modules"] if m["name"] in ("json", "threading")}
    r["modules_total"] = modules["totalModules"]
    r["unknown_while_attached"] = c.call("thisIsNotACommand")


def second_session(c: Control) -> None:
    r = c.report
    r["disconnect"] = c.ok("disconnect", restart=False, terminateDebuggee=True)
    r["debug_info_disconnected"] = c.ok("debugInfo")["body"]
    r["forward_while_disconnected"] = c.call("threads")
    listening = [c for c in psutil.Process().net_connections("tcp") if c.status == psutil.CONN_LISTEN]
    r["listening_after_disconnect"] = sorted(c.laddr.port for c in listening)
    r["children_after_disconnect"] = [p.cmdline() for p in psutil.Process().children(recursive=True)]
    mark = c.events.mark()
    c.ok("initialize", clientID="jupyterlab", adapterID="python")
    c.ok("attach")
    r["events_after_reattach"] = [e["event"] for e in c.events.items[mark:]]
    path = c.ok("dumpCell", code=CELL_AGAIN)["body"]["sourcePath"]
    c.ok("setBreakpoints", source={"path": path}, breakpoints=[{"line": 2}])
    c.ok("configurationDone")
    mark = c.events.mark()
    c.run_cell(CELL_AGAIN)
    stop = c.stopped(mark)
    r["second_stop_top"] = stop["frames"][0]
    # JupyterLab may switch the debugger off while a cell is stopped: the cell must go on.
    r["disconnect_while_stopped"] = c.ok("disconnect")
    r["cell_again_outcome"] = c.cell_done()
    c.run_cell(CELL_LAST)  # breakpoints of the old session must not stop it
    r["cell_last_outcome"] = c.cell_done()


def scenario(c: Control) -> None:
    try:
        for part in (first_session, copy_to_globals, namespace_view, second_session):
            part(c)
        c.report["completed"] = True
    except BaseException:
        c.report["error"] = traceback.format_exc()
    finally:
        c.cells.put(None)


def kernel_thread(stop: threading.Event) -> None:
    while not stop.wait(0.01):
        pass


def main() -> None:
    cell_dir, report_path = Path(sys.argv[1]), Path(sys.argv[2])
    captured = io.StringIO()  # what a cell's output would show
    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins, "In": [""], "Out": {}}
    namespace.update(_i1="x", _1=1, _private=3, os=os, json_dumps=json.dumps, Klass=type("Klass", (), {}))
    events = Events()
    cell_files = CellFiles(directory=cell_dir)
    debugger = Debugger(
        send_event=events,
        cell_files=cell_files,
        user_namespace=lambda: namespace,
        rich_repr=lambda obj: ({"text/plain": repr(obj)}, {"text/plain": {"from": "rich_repr"}}),
        timeout=WAIT,
    )
    cells: queue.Queue[Any] = queue.Queue()
    control = Control(debugger, cell_files, events, cells)
    stop = threading.Event()
    io_thread = untraced(threading.Thread(target=kernel_thread, args=(stop,), name="kernel-io", daemon=True))
    io_thread.start()
    ctl = untraced(threading.Thread(target=scenario, args=(control,), name="kernel-control", daemon=True))
    ctl.start()
    real_err = sys.stderr
    sys.stdout = sys.stderr = captured
    try:
        while (item := cells.get(timeout=60)) is not None:
            code, filename = item
            try:
                exec(compile(code, filename, "exec"), namespace)
                control.finished.put("ok")
            except BaseException as exc:
                control.finished.put(f"error: {exc!r}")
    finally:
        sys.stdout, sys.stderr = sys.__stdout__, real_err
    ctl.join(WAIT)
    debugger.close()
    stop.set()
    control.report["captured_output"] = captured.getvalue()
    names = ("x", "y", "z", "result", "copied", "w", "v")
    control.report["namespace"] = {k: repr(namespace.get(k)) for k in names}
    control.report["pid"] = os.getpid()
    control.report["events"] = events.items
    report_path.write_text(json.dumps(control.report, default=repr, indent=1))


if __name__ == "__main__":
    main()
