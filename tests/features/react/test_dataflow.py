"""The ``braid.dataflow`` comm target without a kernel: what it sends to open comms (graphs,
progress) and how it answers requests, over a reactive runner on a fake shell."""

from __future__ import annotations

from typing import Any

import pytest

from braid_kernel.features.react.shell.dataflow import DataflowTarget
from tests.features.react.test_engine import ReactRig


class FakeComm:
    """What the target uses of a comm: an id, callbacks, and ``send``."""

    def __init__(self, comm_id: str) -> None:
        self.comm_id = comm_id
        self.sent: list[dict[str, Any]] = []

    def send(self, data: dict[str, Any]) -> None:
        self.sent.append(data)

    def on_msg(self, callback: object) -> None:
        del callback

    def on_close(self, callback: object) -> None:
        del callback


def opened(target: DataflowTarget, comm_id: str = "c1") -> FakeComm:
    comm = FakeComm(comm_id)
    target.opened(comm, {})  # type: ignore[arg-type]
    return comm


def request(target: DataflowTarget, comm: FakeComm, name: str) -> None:
    target.answer(comm, {"content": {"data": {"request": name}}})  # type: ignore[arg-type]


@pytest.mark.anyio
async def test_open_comms_hear_progress_then_the_graph() -> None:
    rig = ReactRig()
    target = DataflowTarget(rig.reactive)
    await rig.run("x = 1", "a")
    await rig.run("y = x + 1", "b")
    comm = opened(target)
    comm.sent.clear()
    await rig.run("x = 2", "a")
    progress = [m for m in comm.sent if "progress" in m]
    assert progress[0] == {"progress": {"a": "queued", "b": "queued"}, "change": True}
    assert progress[-1] == {"progress": {"b": "reran"}, "change": False}
    assert "cells" in comm.sent[-1]  # the graph follows the run


def test_a_failing_stale_run_is_answered_with_an_error() -> None:
    def fails() -> None:
        raise RuntimeError("the kernel does not serve sessions")

    target = DataflowTarget(ReactRig().reactive, fails)
    comm = opened(target)
    request(target, comm, "run_stale")
    assert "the kernel does not serve sessions" in comm.sent[-1]["error"]


def test_without_a_stale_starter_the_request_is_refused() -> None:
    target = DataflowTarget(ReactRig().reactive)
    comm = opened(target)
    request(target, comm, "run_stale")
    assert "not available" in comm.sent[-1]["error"]
