"""A kernel in the default mode does not import the feature engines it has not used: reactive
mode, cache mode, the GUI hosts, the other backend's loop and the Dask hook are imported when
first needed, and work the same from then on."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.protocol.kernel_client import TIMEOUT, RunningKernel

StartKernel = Callable[..., RunningKernel]

REACT_ENGINE = (
    "braid_kernel.engine.analysis",
    "braid_kernel.features.react.engine.graph",
    "braid_kernel.features.react.engine.runner",
    "braid_kernel.features.react.engine.slot",
)
CACHE_ENGINE = (
    "braid_kernel.features.cache.engine.cache",
    "braid_kernel.features.cache.engine.entry",
    "braid_kernel.features.cache.engine.fingerprint",
    "braid_kernel.features.cache.engine.key",
    "braid_kernel.features.cache.engine.runner",
    "braid_kernel.features.cache.engine.store",
)
GUI_ENGINE = ("braid_kernel.features.gui.engine", "braid_kernel.features.gui.engine.run")
FOREIGN_LOOP = ("braid_kernel.features.foreign.engine.loop",)
GRAPH_PICTURES = ("braid_kernel.features.react.engine.picture",)  # %braid graph, the dataflow comm
DASK_WORK = (
    "braid_kernel.features.distributed.engine.work",
    "braid_kernel.features.distributed.engine.dask_futures",
)
LAZY = REACT_ENGINE + GRAPH_PICTURES + CACHE_ENGINE + GUI_ENGINE + FOREIGN_LOOP + DASK_WORK


def value(k: RunningKernel, expression: str) -> str:
    """The repr of ``expression``, read without running a cell (reactive mode shows results in
    displays of its own)."""
    done = k.execute("", silent=True, user_expressions={"v": expression})
    result = done.content["user_expressions"]["v"]
    assert result["status"] == "ok", result
    text: str = result["data"]["text/plain"]
    return text


def loaded(k: RunningKernel) -> set[str]:
    """Which of the lazily loaded modules the kernel process has imported."""
    names: list[str] = ast.literal_eval(
        value(k, f"sorted(set({list(LAZY)!r}) & __import__('sys').modules.keys())")
    )
    return set(names)


def test_a_default_kernel_imports_no_feature_engine_until_one_is_used(
    start_kernel: StartKernel, tmp_path: Path
) -> None:
    k = start_kernel(extra_arguments=["--cache-dir", str(tmp_path)])
    k.run("pass")
    k.run("%gui")  # the GUI magic is there; its hosts are not
    assert loaded(k) == set()

    k.run("%braid react on")
    assert loaded(k) >= set(REACT_ENGINE)
    assert not loaded(k) & set(CACHE_ENGINE)
    k.run("x = 1")
    k.run("y = x + 1")
    assert k.run("x = 5").reply["metadata"]["braid"]["reran"]
    assert value(k, "y") == "6"
    k.run("%braid react off")

    assert "cache on" in k.run("%braid cache on").stdout
    assert k.run("z = [i * i for i in range(5)]").reply["metadata"]["braid"]["cache"] == "miss"
    assert k.run("z = [i * i for i in range(5)]").reply["metadata"]["braid"]["cache"] == "hit"
    assert loaded(k) >= set(CACHE_ENGINE)

    k.run("import trio")
    assert k.run("await run_on('trio', trio.sleep, 0)").status == "ok"
    assert loaded(k) >= set(FOREIGN_LOOP)
    assert not loaded(k) & set(GUI_ENGINE)


def test_react_off_and_the_state_read_load_nothing(fresh_kernel: RunningKernel) -> None:
    assert fresh_kernel.run("%braid react").stdout.strip() == "react off"
    fresh_kernel.run("%braid react off")
    fresh_kernel.run("%braid cache off")
    assert not loaded(fresh_kernel) & set(REACT_ENGINE + CACHE_ENGINE)
    run_stale = fresh_kernel.execute("%braid run stale")
    assert run_stale.status == "error" and "reactive mode is off" in run_stale.content["evalue"]


def test_the_dataflow_comm_of_a_default_kernel_answers_and_follows_react_on(
    fresh_kernel: RunningKernel,
) -> None:
    k = fresh_kernel
    comm_id = "dataflow-lazy"
    opened = k.send("shell", "comm_open", {"comm_id": comm_id, "target_name": "braid.dataflow", "data": {}})
    first = k.iopub_wait(opened, lambda m: m["msg_type"] == "comm_msg", what="graph on open")
    assert first["content"]["data"]["cells"] == [] and first["content"]["data"]["lazy"] is False
    k.run("%braid react on")
    pushed = k.run("a = 1")
    graphs = [m["content"]["data"] for m in pushed.of_type("comm_msg") if m["content"]["comm_id"] == comm_id]
    assert graphs and len(graphs[-1]["cells"]) == 1, graphs
    asked = k.send("shell", "comm_msg", {"comm_id": comm_id, "data": {"request": "graph"}})
    answer = k.iopub_wait(
        asked, lambda m: m["msg_type"] == "comm_msg", what="graph on request", timeout=TIMEOUT
    )
    assert len(answer["content"]["data"]["cells"]) == 1


def test_the_dask_work_and_hook_are_imported_with_dask(fresh_kernel: RunningKernel) -> None:
    pytest.importorskip("distributed", reason="needs the scale extra (dask[distributed])")
    k = fresh_kernel
    k.run("%braid cancel-work off")
    assert not loaded(k) & set(DASK_WORK)
    k.run("import dask.distributed")
    assert loaded(k) >= set(DASK_WORK)
    assert value(k, "hasattr(dask.distributed.Future.__init__, '__wrapped__')") == "True"
    assert "cancel-work: off" in k.run("%braid cancel-work").stdout
