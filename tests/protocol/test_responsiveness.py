"""A cell that blocks the main thread leaves heartbeat, control and the wire-level shell requests
answering (each must answer while the cell still runs, i.e. before its execute_reply)."""

from __future__ import annotations

import pytest

from tests.protocol.kernel_client import RunningKernel

pytestmark = [pytest.mark.timeout(90), pytest.mark.slow]

SLEEPING = "import time\nprint('cell-started', flush=True)\ntime.sleep(5)"
SPINNING = "print('cell-started', flush=True)\nwhile True:\n    pass"


def _assert_answers_while_cell_runs(kernel: RunningKernel, cell: str) -> None:
    kernel.stream_until(cell, "cell-started")

    assert kernel.heartbeat_echo(timeout=4), "no heartbeat echo while the cell runs"
    assert not kernel.has_reply(cell), "the cell finished before the checks: they prove nothing"

    control = kernel.request("kernel_info_request", channel="control", timeout=4)["content"]
    assert control["implementation"] == "braid-kernel"
    assert not kernel.has_reply(cell)

    shell_ids = {
        "kernel_info": kernel.send("shell", "kernel_info_request"),
        "comm_info": kernel.send("shell", "comm_info_request", {}),
        "is_complete": kernel.send("shell", "is_complete_request", {"code": "for x in y:"}),
    }
    replies = {name: kernel.reply(msg_id, timeout=4) for name, msg_id in shell_ids.items()}
    assert replies["kernel_info"]["content"]["protocol_version"] == "5.5"
    assert replies["comm_info"]["content"]["status"] == "ok"
    assert replies["is_complete"]["content"]["status"] == "incomplete"
    assert not kernel.has_reply(cell), "the shell requests were answered only after the cell"


def test_heartbeat_control_and_shell_answer_while_a_cell_sleeps(fresh_kernel: RunningKernel) -> None:
    cell = fresh_kernel.execute_request(SLEEPING)
    _assert_answers_while_cell_runs(fresh_kernel, cell)
    assert fresh_kernel.finish(cell, timeout=15).status == "ok"


def test_heartbeat_control_and_shell_answer_while_a_cell_spins(fresh_kernel: RunningKernel) -> None:
    cell = fresh_kernel.execute_request(SPINNING)
    _assert_answers_while_cell_runs(fresh_kernel, cell)
    fresh_kernel.request("interrupt_request", channel="control")
    done = fresh_kernel.finish(cell, timeout=15)
    assert done.status == "error" and done.content["ename"] == "KeyboardInterrupt", done.describe()
    assert fresh_kernel.value("'after the spin'") == "'after the spin'"
