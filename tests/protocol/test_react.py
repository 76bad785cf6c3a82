"""Reactive mode on real ``braid-react`` kernels: forward references, propagation, in-place
updates through display ids, cycles and conflicts, deleted cells, async and concurrent cells,
and the ``%braid react`` / ``%braid graph`` magics."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.protocol.kernel_client import TIMEOUT, Executed, Msg, RunningKernel, strip_ansi

Start = Callable[..., RunningKernel]


def cell(k: RunningKernel, code: str, cell_id: str | None = None, **metadata: Any) -> Executed:
    """Execute ``code`` as JupyterLab does: ``cellId`` (and e.g. ``deletedCells``) in the metadata."""
    if cell_id is not None:
        metadata["cellId"] = cell_id
    content = {
        "code": code,
        "silent": False,
        "store_history": True,
        "user_expressions": {},
        "allow_stdin": False,
        "stop_on_error": True,
    }
    msg = k.kc.session.msg("execute_request", content, metadata=metadata)
    k.kc.shell_channel.send(msg)
    return k.finish(msg["header"]["msg_id"], TIMEOUT)


def ok(k: RunningKernel, code: str, cell_id: str | None = None, **metadata: Any) -> Executed:
    done = cell(k, code, cell_id, **metadata)
    assert done.status == "ok", f"cell failed: {done.describe()}\n{done.content.get('traceback')}"
    return done


def value(k: RunningKernel, expression: str) -> str:
    """The repr of ``expression``, read without running a (reactive) cell."""
    done = k.execute("", silent=True, user_expressions={"v": expression})
    result: Msg = done.content["user_expressions"]["v"]
    assert result["status"] == "ok", result
    text: str = result["data"]["text/plain"]
    return text


def braid(done: Executed) -> dict[str, Any]:
    result: dict[str, Any] = done.reply["metadata"].get("braid", {})
    return result


def displays(done: Executed, key: str) -> list[Msg]:
    """The display_data / update_display_data messages for cell ``key``'s display."""
    display_id = f"braid-react-{key}"
    return [
        m
        for m in done.iopub
        if m["msg_type"] in ("display_data", "update_display_data")
        and m["content"].get("transient", {}).get("display_id") == display_id
    ]


def shown(done: Executed, key: str) -> str:
    """The text/plain cell ``key``'s display shows at the end of ``done``."""
    found = displays(done, key)
    assert found, f"no display for {key}: {done.describe()}"
    return strip_ansi(found[-1]["content"]["data"]["text/plain"])


@pytest.fixture
def react(start_kernel: Start) -> RunningKernel:
    return start_kernel(kernel_name="braid-react")


def test_forward_reference_shows_none_then_runs_when_defined(react: RunningKernel) -> None:
    waiting = ok(react, "y = x + 1\ny", "a")
    assert shown(waiting, "a") == "None"
    assert displays(waiting, "a")[0]["msg_type"] == "display_data"
    assert braid(waiting)["waiting_for"] == ["x"]
    assert not waiting.of_type("error")

    defining = ok(react, "x = 1", "b")
    assert braid(defining)["reran"] == ["a"]
    update = displays(defining, "a")
    assert [m["msg_type"] for m in update] == ["update_display_data"]
    assert shown(defining, "a") == "2"
    assert value(react, "y") == "2"


def test_own_output_lives_in_the_cells_display(react: RunningKernel) -> None:
    done = ok(react, "v = 41\nprint('hello')\nv + 1", "a")
    assert not done.of_type("stream") and not done.of_type("execute_result")
    (created, *updates) = displays(done, "a")
    assert created["msg_type"] == "display_data"
    assert created["parent_header"]["msg_id"] == done.msg_id
    assert all(m["msg_type"] == "update_display_data" for m in updates)
    text = shown(done, "a")
    assert "hello" in text and "42" in text


def test_dependents_rerun_once_in_topological_order(react: RunningKernel) -> None:
    ok(react, "x = 1", "top")
    ok(react, "left = x + 1\nprint('left', left)", "left")
    ok(react, "right = x * 10\nprint('right', right)", "right")
    ok(react, "bottom = left + right\nprint('bottom', bottom)", "bottom")

    rerun = ok(react, "x = 2", "top")
    assert braid(rerun)["reran"] == ["left", "right", "bottom"]
    assert shown(rerun, "left") == "left 3\n"
    assert shown(rerun, "right") == "right 20\n"
    assert shown(rerun, "bottom") == "bottom 23\n"
    # The diamond's bottom ran once, after both sides.
    updates = [
        m["content"]["transient"]["display_id"] for m in rerun.iopub if m["msg_type"] == "update_display_data"
    ]
    first_bottom = updates.index("braid-react-bottom")
    assert all(u == "braid-react-bottom" for u in updates[first_bottom:])
    assert {"braid-react-left", "braid-react-right"} <= set(updates[:first_bottom])
    # Updates are parented to the triggering request: frontends route them by display id.
    assert all(m["parent_header"]["msg_id"] == rerun.msg_id for m in displays(rerun, "bottom"))


def test_upstream_chain_reruns_before_a_refining_cell(react: RunningKernel) -> None:
    ok(react, "data = [3, None, 1]", "load")
    ok(react, "data = [v for v in data if v is not None]", "clean")
    ok(react, "total = sum(data)\ntotal", "sum")
    assert value(react, "data") == "[3, 1]"

    # New code for the refining cell: it sees the loaded value, not its own previous output.
    again = ok(react, "data = sorted(v for v in data if v is not None)", "clean")
    assert braid(again)["reran"] == ["load", "sum"]
    assert value(react, "data") == "[1, 3]"
    assert shown(again, "sum") == "4"

    upstream = ok(react, "data = [5, None, 2, 1]", "load")
    assert braid(upstream)["reran"] == ["clean", "sum"]
    assert value(react, "data") == "[1, 2, 5]"
    assert shown(upstream, "sum") == "8"


def test_in_place_mutation_is_a_read_and_a_write(react: RunningKernel) -> None:
    ok(react, "items = []", "make")
    ok(react, "items.append(1)", "add")
    ok(react, "len(items)", "count")
    again = ok(react, "items.append(1)", "add")
    # Re-running the mutating cell starts again from the list's definition: no double append.
    assert braid(again)["reran"] == ["make", "count"]
    assert value(react, "items") == "[1]"
    assert shown(again, "count") == "1"


def test_error_in_a_rerun_shows_in_that_cell(react: RunningKernel) -> None:
    ok(react, "d = 1", "a")
    ok(react, "q = 10 / d\nq", "b")
    ok(react, "r = q + 1\nr", "c")
    broken = ok(react, "d = 0", "a")
    assert braid(broken)["reran"] == ["b"]
    assert braid(broken)["failed"] == ["b"]
    assert braid(broken)["skipped"] == ["c"]
    assert "ZeroDivisionError" in shown(broken, "b")
    assert "not re-run" in shown(broken, "c")
    assert not broken.of_type("error")  # the triggering cell itself succeeded


def test_cycle_is_reported_and_nothing_runs(react: RunningKernel) -> None:
    ok(react, "p = q + 1 if 'q' in dir() else 0", "a")
    done = cell(react, "q = p + 1\nprint('ran')", "b")
    assert done.status == "error"
    assert done.content["ename"] == "DataflowCycle"
    evalue = done.content["evalue"]
    assert "'a'" in evalue and "'b'" in evalue and "p" in evalue and "q" in evalue
    assert "ran" not in done.stdout
    assert value(react, "'q' in dir()") == "False"


def test_name_defined_by_two_cells_is_reported(react: RunningKernel) -> None:
    ok(react, "k = 1", "a")
    done = cell(react, "k = 2", "b")
    assert done.status == "error"
    assert done.content["ename"] == "DataflowConflict"
    assert "'k'" in done.content["evalue"] and "'a'" in done.content["evalue"]
    assert value(react, "k") == "1"
    ok(react, "_tmp = 1", "c")
    ok(react, "_tmp = 2", "d")  # throwaway names may be defined anywhere


def test_deleted_cells_take_their_names_and_dependents_rerun(react: RunningKernel) -> None:
    ok(react, "x = 5", "a")
    ok(react, "y = x * 2\ny", "b")
    done = ok(react, "print('other')", "c", deletedCells=["a"])
    assert braid(done)["reran"] == ["b"]
    assert shown(done, "b") == "None"
    assert value(react, "'x' in dir()") == "False"
    # Defining x again in a new cell wakes b up.
    again = ok(react, "x = 7", "e")
    assert braid(again)["reran"] == ["b"]
    assert shown(again, "b") == "14"


def test_cells_without_cell_id_are_identified_by_their_names(react: RunningKernel) -> None:
    ok(react, "x = 1")
    ok(react, "y = x + 1\ny")
    again = ok(react, "x = 10")  # the same cell: it defines the same names
    assert braid(again)["reran"] == ["defines:y"]
    assert shown(again, "defines:y") == "11"


def test_same_cell_id_with_new_code_replaces_the_cell(react: RunningKernel) -> None:
    ok(react, "x = 1", "a")
    ok(react, "x = 2\nz = 3", "a")  # no conflict with its own previous version
    ok(react, "w = z + x\nw", "b")
    again = ok(react, "x = 4\nz = 5", "a")
    assert braid(again)["reran"] == ["b"]
    assert shown(again, "b") == "9"


def test_awaiting_cells_take_part(react: RunningKernel) -> None:
    ok(react, "x = 1", "a")
    ok(react, "import asyncio\nawait asyncio.sleep(0.01)\ny = x + 1\ny", "b")
    again = ok(react, "x = 2", "a")
    assert braid(again)["reran"] == ["b"]
    assert shown(again, "b") == "3"


def test_independent_branches_rerun_concurrently(start_kernel: Start) -> None:
    k = start_kernel(kernel_name="braid-concurrent-react")
    ok(k, "import asyncio, time\nx = 1", "a")
    branch = "{n}x = x\n{n}0 = time.monotonic()\nawait asyncio.sleep(0.5)\n{n}1 = time.monotonic()"
    ok(k, branch.format(n="b"), "b")
    ok(k, branch.format(n="c"), "c")
    again = ok(k, "x = 2", "a")
    assert sorted(braid(again)["reran"]) == ["b", "c"]
    # Each branch started before the other ended.
    assert value(k, "b0 < c1 and c0 < b1") == "True"


def test_braid_react_switches_a_plain_kernel(kernel: RunningKernel) -> None:
    ok(kernel, "%braid react on")
    ok(kernel, "x = 1", "a")
    ok(kernel, "y = x + 1\ny", "b")
    again = ok(kernel, "x = 5", "a")
    assert braid(again)["reran"] == ["b"]
    assert shown(again, "b") == "6"
    ok(kernel, "%braid react off")
    off = ok(kernel, "x = 7", "a")
    assert "braid" not in off.reply["metadata"] or "reran" not in braid(off)
    assert value(kernel, "y") == "6"
    assert ok(kernel, "%braid react").stdout.strip() == "react off"


def test_braid_graph_draws_cells_and_edges(react: RunningKernel) -> None:
    ok(react, "x = 1", "a")
    ok(react, "y = x + 1", "b")
    done = ok(react, "%braid graph", "g")
    data = displays(done, "g")[-1]["content"]["data"]
    assert "<svg" in data["image/svg+xml"]
    assert "a -> b: x" in data["text/plain"]


def test_dataflow_comm_answers_with_cells_edges_and_stale_ones(react: RunningKernel) -> None:
    ok(react, "x = 1", "a")
    ok(react, "y = x + w", "b")  # waits for w: stale
    comm_id = "dataflow-test"
    opened = react.send(
        "shell", "comm_open", {"comm_id": comm_id, "target_name": "braid.dataflow", "data": {}}
    )
    first = react.iopub_wait(opened, lambda m: m["msg_type"] == "comm_msg", what="graph on open")
    graph = first["content"]["data"]
    assert [c["id"] for c in graph["cells"]] == ["a", "b"]
    assert {"source": "a", "target": "b", "names": ["x"]} in graph["edges"]
    assert graph["stale"] == ["b"]
    assert graph["cells"][1]["state"] == "waiting"

    pushed = ok(react, "w = 2", "c")
    update = [m for m in pushed.of_type("comm_msg") if m["content"]["comm_id"] == comm_id]
    assert update and update[-1]["content"]["data"]["stale"] == []

    asked = react.send("shell", "comm_msg", {"comm_id": comm_id, "data": {"request": "graph"}})
    answer = react.iopub_wait(asked, lambda m: m["msg_type"] == "comm_msg", what="graph on request")
    assert len(answer["content"]["data"]["cells"]) == 3


def test_cache_mode_replays_a_rerun_cell_into_its_display(react: RunningKernel) -> None:
    ok(react, "%braid cache on", "cfg")
    ok(react, "x = 1", "a")
    first = shown(ok(react, "import random\nprint('b', x, random.random())", "b"), "b")
    assert shown(ok(react, "x = 2", "a"), "b").startswith("b 2 ")
    back = ok(react, "x = 1", "a")
    assert braid(back)["reran"] == ["b"]
    assert shown(back, "b") == first  # a cache hit: the same random number, replayed in place


def test_reactive_mode_on_the_trio_backend(start_kernel: Start) -> None:
    k = start_kernel(kernel_name="braid-trio")
    ok(k, "%braid react on")
    ok(k, "y = x * 3\ny", "b")
    ok(k, "import trio\nawait trio.sleep(0.01)\nx = 2", "a")
    again = ok(k, "x = 4", "a")
    assert braid(again)["reran"] == ["b"]
    assert shown(again, "b") == "12"
