"""The ``braid.dataflow`` comm tells the page each reactive cell's step as it happens
(``{"progress": {cell id: step}, "change": bool}``), for every cell the kernel runs: the cells an
eager change re-runs, the ones restored from the cache, the ones a comm's ``run_stale`` runs, and
in concurrent mode which cell of a propagation runs while another waits for it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.protocol.kernel_client import RunningKernel
from tests.protocol.test_react import cell, ok, value

Start = Callable[..., RunningKernel]
Msg = dict[str, Any]


def open_dataflow(k: RunningKernel, comm_id: str) -> None:
    target = {"comm_id": comm_id, "target_name": "braid.dataflow", "data": {}}
    opened = k.send("shell", "comm_open", target)
    k.iopub_wait(opened, lambda m: m["msg_type"] == "comm_msg", what="graph on open")


def progress(messages: list[Msg]) -> list[tuple[dict[str, str], bool]]:
    """The progress batches among ``messages`` (a request's IOPub), in order."""
    return [
        (m["content"]["data"]["progress"], m["content"]["data"]["change"])
        for m in messages
        if m["msg_type"] == "comm_msg" and "progress" in m["content"]["data"]
    ]


def steps(messages: list[Msg], key: str) -> list[str]:
    return [states[key] for states, _ in progress(messages) if key in states]


def test_an_eager_change_tells_each_cell_it_reran(start_kernel: Start) -> None:
    k = start_kernel(kernel_name="braid-react")
    ok(k, "a = 1", "one")
    ok(k, "b = a + 1\nb", "two")
    ok(k, "c = b * 10\nc", "three")
    open_dataflow(k, "progress-eager")
    changed = ok(k, "a = 2", "one")
    batches = progress(changed.iopub)
    assert batches[0] == ({"one": "queued", "two": "queued", "three": "queued"}, True)
    assert [change for _, change in batches].count(True) == 1
    assert steps(changed.iopub, "one") == ["queued", "running", "ran"]
    assert steps(changed.iopub, "two") == ["queued", "running", "reran"]
    assert steps(changed.iopub, "three") == ["queued", "running", "reran"]


def test_a_rerun_restored_from_the_cache_says_cached(start_kernel: Start) -> None:
    k = start_kernel(kernel_name="braid-cache")
    ok(k, "%braid react on", "mode")
    ok(k, "x = 1", "one")
    ok(k, "y = x * 10\ny", "two")
    open_dataflow(k, "progress-cache")
    computed = ok(k, "x = 2", "one")
    assert steps(computed.iopub, "two")[-1] == "reran"
    restored = ok(k, "x = 1", "one")  # code and input seen before: both restored
    assert steps(restored.iopub, "one")[-1] == "cached"
    assert steps(restored.iopub, "two")[-1] == "cached"
    assert value(k, "y") == "10"


def test_stale_cells_run_from_the_comm_are_a_new_change(start_kernel: Start) -> None:
    k = start_kernel(kernel_name="braid-react-lazy")
    ok(k, "a = 1", "one")
    ok(k, "b = a + 1\nb", "two")
    open_dataflow(k, "progress-lazy")
    changed = ok(k, "a = 3", "one")
    assert progress(changed.iopub)[-1] == ({"two": "stale"}, False)
    asked = k.send("shell", "comm_msg", {"comm_id": "progress-lazy", "data": {"request": "run_stale"}})
    k.iopub_wait(
        asked,
        lambda m: m["msg_type"] == "comm_msg" and m["content"]["data"].get("stale") == [],
        what="the graph after the stale cells ran",
    )
    batches = progress(k.iopub_by_parent[asked])
    assert batches[0] == ({"two": "queued"}, True)
    assert steps(k.iopub_by_parent[asked], "two") == ["queued", "running", "reran"]


def test_concurrent_propagation_shows_who_runs_and_who_waits(start_kernel: Start, tmp_path: Path) -> None:
    k = start_kernel(kernel_name="braid-concurrent-react")
    flag = tmp_path / "release"
    ok(k, "import asyncio, os\na = 1", "top")
    slow = f"b = a + 1\nwhile a > 1 and not os.path.exists({str(flag)!r}):\n    await asyncio.sleep(0.02)"
    ok(k, slow, "slow")
    ok(k, "c = b * 10", "after-slow")
    ok(k, "d = a * 100", "fast")
    open_dataflow(k, "progress-concurrent")
    msg = k.kc.session.msg(
        "execute_request",
        {"code": "a = 2", "silent": False, "store_history": True, "user_expressions": {}},
        metadata={"cellId": "top"},
    )
    k.kc.shell_channel.send(msg)
    changed = msg["header"]["msg_id"]

    def heard(key: str, step: str) -> Callable[[Msg], bool]:
        def match(m: Msg) -> bool:
            return m["msg_type"] == "comm_msg" and m["content"]["data"].get("progress", {}).get(key) == step

        return match

    k.iopub_wait(changed, heard("slow", "running"), what="the slow cell running")
    k.iopub_wait(changed, heard("fast", "reran"), what="the independent cell done meanwhile")
    assert steps(k.iopub_by_parent[changed], "after-slow") == ["queued"]  # waits for the slow one
    flag.touch()
    done = k.finish(changed)
    assert done.status == "ok"
    assert steps(done.iopub, "slow")[-1] == "reran"
    assert steps(done.iopub, "after-slow") == ["queued", "running", "reran"]
    assert value(k, "c") == "30"


def test_no_progress_without_an_open_comm(start_kernel: Start) -> None:
    k = start_kernel(kernel_name="braid-react")
    ok(k, "a = 1", "one")
    ok(k, "b = a + 1", "two")
    done = cell(k, "a = 5", "one")
    assert done.status == "ok" and not [m for m in done.iopub if m["msg_type"] == "comm_msg"]
