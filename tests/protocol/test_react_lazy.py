"""Lazy reactive mode on real kernels (``braid-react-lazy``, and ``%braid react lazy`` on trio):
a change marks the cells depending on it stale (listed in ``metadata.braid.stale``, in dependency
order) instead of re-running them; ``%braid run stale`` and the ``braid.dataflow`` comm's
``run_stale`` request run them in dependency order, updating their displays in place."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.protocol.kernel_client import RunningKernel
from tests.protocol.test_react import braid, cell, displays, ok, shown, value
from tests.protocol.test_subshells import create, delete

Start = Callable[..., RunningKernel]


@pytest.fixture(params=["asyncio", "trio"])
def lazy(request: pytest.FixtureRequest, start_kernel: Start) -> RunningKernel:
    """A lazy reactive kernel: the ``braid-react-lazy`` kernelspec, or trio switched by the magic."""
    if request.param == "asyncio":
        return start_kernel(kernel_name="braid-react-lazy")
    k = start_kernel(kernel_name="braid-trio")
    ok(k, "%braid react lazy", "mode")
    return k


def chain(k: RunningKernel) -> None:
    ok(k, "a = 1", "one")
    ok(k, "b = a + 1\nb", "two")
    ok(k, "c = b * 10\nc", "three")


def diamond(k: RunningKernel) -> None:
    ok(k, "x = 1", "top")
    ok(k, "left = x + 1\nleft", "left")
    ok(k, "right = x * 10\nright", "right")
    ok(k, "bottom = left + right\nbottom", "bottom")


def test_a_change_marks_the_chain_stale_and_runs_nothing_else(lazy: RunningKernel) -> None:
    chain(lazy)
    changed = ok(lazy, "a = 5", "one")
    assert braid(changed)["stale"] == ["two", "three"]
    assert braid(changed)["reran"] == []
    assert not displays(changed, "two") and not displays(changed, "three")
    assert value(lazy, "(b, c)") == "(2, 20)"


def test_run_stale_runs_the_chain_in_order_and_updates_displays(lazy: RunningKernel) -> None:
    chain(lazy)
    ok(lazy, "a = 5", "one")
    ran = ok(lazy, "%braid run stale", "runner")
    assert braid(ran)["reran"] == ["two", "three"]
    assert braid(ran)["stale"] == []
    assert shown(ran, "two") == "6" and shown(ran, "three") == "60"
    assert [m["msg_type"] for m in displays(ran, "three")][-1] == "update_display_data"
    assert value(lazy, "(b, c)") == "(6, 60)"


def test_diamond_stale_order_and_a_cell_run_by_hand(lazy: RunningKernel) -> None:
    diamond(lazy)
    changed = ok(lazy, "x = 2", "top")
    assert braid(changed)["stale"] == ["left", "right", "bottom"]
    # Run by hand: left stops being stale; bottom, depending on it, stays stale until it runs.
    by_hand = ok(lazy, "left = x + 1\nleft", "left")
    assert braid(by_hand)["stale"] == ["right", "bottom"]
    ran = ok(lazy, "%braid run stale", "runner")
    assert braid(ran)["reran"] == ["right", "bottom"]
    assert shown(ran, "bottom") == "23"
    again = ok(lazy, "1 + 1", "other")
    assert braid(again)["stale"] == []


def test_deleted_cell_makes_its_dependents_stale(lazy: RunningKernel) -> None:
    ok(lazy, "x = 5", "a")
    ok(lazy, "y = x * 2\ny", "b")
    done = ok(lazy, "print('other')", "c", deletedCells=["a"])
    assert braid(done)["stale"] == ["b"] and braid(done)["reran"] == []
    assert value(lazy, "'x' in dir()") == "False"
    ok(lazy, "x = 7", "e")
    ran = ok(lazy, "%braid run stale", "runner")
    assert braid(ran)["reran"] == ["b"]
    assert shown(ran, "b") == "14"


def test_cycle_is_refused_and_leaves_the_stale_cells_alone(lazy: RunningKernel) -> None:
    ok(lazy, "p = 1", "a")
    ok(lazy, "q = p + 1", "b")
    assert braid(ok(lazy, "p = 2", "a"))["stale"] == ["b"]
    done = cell(lazy, "p = q + 1", "a")
    assert done.status == "error" and done.content["ename"] == "DataflowCycle"
    assert braid(ok(lazy, "%braid run stale", "runner"))["reran"] == ["b"]
    assert value(lazy, "q") == "3"


def test_comm_request_runs_the_stale_cells(lazy: RunningKernel) -> None:
    chain(lazy)
    ok(lazy, "a = 3", "one")
    comm_id = "dataflow-lazy"
    target = {"comm_id": comm_id, "target_name": "braid.dataflow", "data": {}}
    opened = lazy.send("shell", "comm_open", target)
    first = lazy.iopub_wait(opened, lambda m: m["msg_type"] == "comm_msg", what="graph on open")
    graph = first["content"]["data"]
    assert graph["lazy"] is True and graph["stale"] == ["two", "three"]
    assert {c["id"]: c["state"] for c in graph["cells"]}["two"] == "stale"

    asked = lazy.send("shell", "comm_msg", {"comm_id": comm_id, "data": {"request": "run_stale"}})
    after = lazy.iopub_wait(
        asked,
        lambda m: m["msg_type"] == "comm_msg" and m["content"]["data"].get("stale") == [],
        what="the graph after the stale cells ran",
    )
    assert {c["id"]: c["state"] for c in after["content"]["data"]["cells"]}["three"] == "ok"
    updates = [m for m in lazy.iopub_by_parent[asked] if m["msg_type"] == "update_display_data"]
    shown_ids = [m["content"]["transient"]["display_id"] for m in updates]
    assert shown_ids.index("braid-react-two") < shown_ids.index("braid-react-three")
    assert value(lazy, "(b, c)") == "(4, 40)"


def test_react_on_returns_to_eager(lazy: RunningKernel) -> None:
    chain(lazy)
    assert shown(ok(lazy, "%braid react", "show"), "show").strip() == "react lazy"
    ok(lazy, "%braid react on", "mode2")
    eager = ok(lazy, "a = 2", "one")
    assert braid(eager)["reran"] == ["two", "three"] and "stale" not in braid(eager)
    assert value(lazy, "c") == "30"


def test_run_stale_needs_reactive_mode(kernel: RunningKernel) -> None:
    done = cell(kernel, "%braid run stale")
    assert done.status == "error" and "reactive mode is off" in done.content["evalue"]


def test_run_stale_runs_independent_branches_concurrently(start_kernel: Start) -> None:
    k = start_kernel(kernel_name="braid-concurrent-react")
    ok(k, "%braid react lazy", "mode")
    ok(k, "import asyncio, time\nx = 1", "a")
    branch = "{n}x = x\n{n}0 = time.monotonic()\nawait asyncio.sleep(0.5)\n{n}1 = time.monotonic()"
    ok(k, branch.format(n="b"), "b")
    ok(k, branch.format(n="c"), "c")
    assert braid(ok(k, "x = 2", "a"))["stale"] == ["b", "c"]
    ran = ok(k, "%braid run stale", "runner")
    assert sorted(braid(ran)["reran"]) == ["b", "c"]
    assert value(k, "(bx, cx)") == "(2, 2)"
    assert value(k, "b0 < c1 and c0 < b1") == "True"  # each branch started before the other ended


def test_interrupt_stops_stale_cells_run_from_the_comm(lazy: RunningKernel) -> None:
    ok(lazy, "import anyio\nx = 1", "a")
    first = ok(lazy, "y = x\ndisplay(f'started {y}')\nawait anyio.sleep(0 if y == 1 else 60)", "b")
    assert "started 1" in shown(first, "b")  # display, a builtin IPython adds, is not a missing name
    ok(lazy, "x = 2", "a")
    target = {"comm_id": "dataflow-interrupt", "target_name": "braid.dataflow", "data": {}}
    opened = lazy.send("shell", "comm_open", target)
    lazy.iopub_wait(opened, lambda m: m["msg_type"] == "comm_msg", what="graph on open")
    run = {"comm_id": "dataflow-interrupt", "data": {"request": "run_stale"}}
    asked = lazy.send("shell", "comm_msg", run)

    def says_started(m: dict[str, object]) -> bool:
        return m["msg_type"] == "update_display_data" and "started 2" in str(m["content"])

    lazy.iopub_wait(asked, says_started, what="the stale cell's output")
    lazy.request("interrupt_request", channel="control")
    # The kernel is chained: this cell runs once the stale run has ended, which takes a minute
    # unless the interrupt stopped it (then ``ok`` fails after its timeout).
    assert ok(lazy, "1 + 1", "after").status == "ok"

    # Everything of the stale run was published before "after" started.  Where its error is
    # depends on where the interrupt found the cell: awaiting, it is cancelled and the error is an
    # error message of the comm request; still running its own code (just past ``display()``, on
    # a loaded machine), KeyboardInterrupt is raised there, and the error is shown in the cell's
    # display, as any error of a re-run is.
    def interrupted(m: dict[str, Any]) -> bool:
        if m["msg_type"] == "error":
            return bool(m["content"]["ename"] == "KeyboardInterrupt")
        return m["msg_type"] == "update_display_data" and "KeyboardInterrupt" in str(m["content"])

    reported = lazy.iopub_by_parent[asked]
    assert any(interrupted(m) for m in reported), [m["msg_type"] for m in reported]


def test_comm_over_a_subshell_asks_while_the_main_thread_blocks(lazy: RunningKernel, tmp_path: Path) -> None:
    # JupyterLab's commsOverSubshells: the request is handled on the subshell's thread at once;
    # the stale cells run on the main shell after the blocking cell.
    k = lazy
    chain(k)
    ok(k, "a = 4", "one")
    sid = create(k)
    target = {"comm_id": "dataflow-sub", "target_name": "braid.dataflow", "data": {}}
    opened = k.send("shell", "comm_open", target, subshell_id=sid)
    k.iopub_wait(opened, lambda m: m["msg_type"] == "comm_msg", what="graph on open")
    release = tmp_path / "release"
    blocker = k.execute_request(
        f"import os, time\nprint('blocking', flush=True)\nwhile not os.path.exists({str(release)!r}):\n"
        "    time.sleep(0.02)",
        store_history=False,  # not a reactive cell: its text goes out as a stream
    )
    k.stream_until(blocker, "blocking")
    run = {"comm_id": "dataflow-sub", "data": {"request": "run_stale"}}
    asked = k.send("shell", "comm_msg", run, subshell_id=sid)
    k.iopub_wait(asked, lambda m: m["msg_type"] == "status" and m["content"]["execution_state"] == "idle")
    assert k.maybe_reply(blocker, timeout=0.01) is None
    release.touch()
    k.reply(blocker)
    after = k.iopub_wait(
        asked,
        lambda m: m["msg_type"] == "comm_msg" and m["content"]["data"].get("stale") == [],
        what="the graph after the stale cells ran",
    )
    assert after["parent_header"]["msg_id"] == asked
    assert value(k, "(b, c)") == "(5, 50)"
    delete(k, sid)
