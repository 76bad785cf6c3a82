"""shutdown_request on control, and restarts through the KernelManager."""

from __future__ import annotations

import psutil
import pytest

from tests.protocol.kernel_client import STARTED_PIDS, RunningKernel

pytestmark = pytest.mark.timeout(60)


@pytest.mark.parametrize("restart", [False, True], ids=["restart_false", "restart_true"])
def test_shutdown_request_replies_then_the_process_exits(fresh_kernel: RunningKernel, restart: bool) -> None:
    msg_id = fresh_kernel.send("control", "shutdown_request", {"restart": restart})
    reply = fresh_kernel.reply(msg_id, "control")
    assert reply["msg_type"] == "shutdown_reply"
    assert reply["content"]["status"] == "ok"
    assert reply["content"]["restart"] is restart
    broadcast = fresh_kernel.iopub_wait(
        msg_id, lambda m: m["msg_type"] == "shutdown_reply", what="IOPub shutdown"
    )
    assert broadcast["content"]["restart"] is restart
    assert fresh_kernel.wait_for_exit(timeout=10), "the kernel process did not exit after shutdown_reply"


@pytest.mark.slow
def test_shutdown_request_exits_even_while_a_cell_blocks(fresh_kernel: RunningKernel) -> None:
    cell = fresh_kernel.execute_request("import time\nprint('cell-started', flush=True)\ntime.sleep(60)")
    fresh_kernel.stream_until(cell, "cell-started")
    reply = fresh_kernel.request("shutdown_request", {"restart": False}, channel="control")
    assert reply["content"]["status"] == "ok"
    assert fresh_kernel.wait_for_exit(timeout=15), "a blocking cell kept the kernel alive after shutdown"


def test_restart_gives_a_fresh_namespace_and_execution_count_one(fresh_kernel: RunningKernel) -> None:
    fresh_kernel.run("restart_marker = 'old kernel'")
    assert fresh_kernel.run("'second cell'").content["execution_count"] == 2
    old = psutil.Process(fresh_kernel.pid)

    fresh_kernel.km.restart_kernel(now=False)
    STARTED_PIDS.add(fresh_kernel.pid)
    assert fresh_kernel.pid != old.pid
    old.wait(timeout=10)  # the old process is gone, not left behind
    fresh_kernel.reconnect()

    first = fresh_kernel.run("'restart_marker' in globals()")
    assert first.result == "False"
    assert first.content["execution_count"] == 1
