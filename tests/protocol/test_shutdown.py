"""shutdown_request on control, and restarts through the KernelManager."""

from __future__ import annotations

import subprocess
import sys
import time

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


# Starts a braid kernel as JupyterLab's server does (jupyter_client sets JPY_PARENT_PID), prints its
# pid and, once it answers, "ready"; then waits to be killed.
LAUNCHER = """
import subprocess, time
from jupyter_client.manager import KernelManager
km = KernelManager(kernel_name="braid")
km.start_kernel(stdout=subprocess.DEVNULL)
print(km.provisioner.pid, flush=True)
kc = km.client()
kc.start_channels()
kc.wait_for_ready(timeout=60)
print("ready", flush=True)
time.sleep(120)
"""


def _gone(proc: psutil.Process) -> bool:
    try:
        return proc.status() == psutil.STATUS_ZOMBIE  # exited; its new parent has not reaped it yet
    except psutil.NoSuchProcess:
        return True


def test_the_kernel_exits_when_the_process_that_launched_it_dies() -> None:
    launcher = subprocess.Popen([sys.executable, "-c", LAUNCHER], stdout=subprocess.PIPE, text=True)
    kernel: psutil.Process | None = None
    try:
        assert launcher.stdout is not None
        pid = int(launcher.stdout.readline())
        STARTED_PIDS.add(pid)
        kernel = psutil.Process(pid)
        assert launcher.stdout.readline().strip() == "ready"
        launcher.kill()  # as a Jupyter server killed with SIGKILL: no shutdown_request
        launcher.wait(10)
        deadline = time.monotonic() + 15
        while not _gone(kernel) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _gone(kernel), "the kernel outlived the process that launched it"
    finally:
        launcher.kill()
        launcher.wait(10)
        if kernel is not None and not _gone(kernel):
            kernel.kill()
