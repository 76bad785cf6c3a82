"""Interrupts hit what the user meant, once: an interrupt while idle changes nothing, a user's own
SIGINT handler runs once per interrupt, and a SIGINT handler pdb left installed after ``c`` does not
outlive its cell."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.protocol.kernel_client import Msg, RunningKernel

pytestmark = pytest.mark.timeout(240)

Start = Callable[..., RunningKernel]

KERNELS = 8  # fresh kernels: the race shows mostly on a kernel's first interrupt
ROUNDS = 4  # idle interrupts per kernel


def test_a_cell_sent_right_after_an_idle_interrupt_runs(start_kernel: Start) -> None:
    """``km.interrupt_kernel()`` then at once an execute_request, on an idle kernel: the cell
    runs (it used to be answered ``aborted`` in 1-5 of 16 fresh kernels)."""
    statuses = []
    for _ in range(KERNELS):
        kernel = start_kernel()
        kernel.run("x = 1")
        for _ in range(ROUNDS):
            kernel.km.interrupt_kernel()
            done = kernel.execute("print('ok')", stop_on_error=False)
            statuses.append(done.status)
            assert done.status != "ok" or done.stdout == "ok\n", done.describe()
        kernel.close()
    assert statuses == ["ok"] * (KERNELS * ROUNDS)


def _answer(kernel: RunningKernel, cell: str, value: str) -> Msg:
    """Wait for the cell's next input_request and answer it with ``value``."""
    request = kernel.reply(cell, "stdin", timeout=15)
    assert request["msg_type"] == "input_request"
    kernel.kc.stdin_channel.send(kernel.kc.session.msg("input_reply", {"value": value}, parent=request))
    return request


COUNTING_HANDLER = """
import signal, time
count = 0
def handler(signum, frame):
    global count
    count += 1
signal.signal(signal.SIGINT, handler)
print('installed', flush=True)
while count == 0:
    time.sleep(0.01)
input('handled')
count
"""


def test_one_interrupt_runs_the_users_sigint_handler_once(fresh_kernel: RunningKernel) -> None:
    kernel = fresh_kernel
    cell = kernel.execute_request(COUNTING_HANDLER, allow_stdin=True)
    kernel.stream_until(cell, "installed")
    # The reply comes once the kernel is done delivering the interrupt; the cell then
    # waits for input, so every SIGINT the interrupt sent has been counted by then.
    assert kernel.request("interrupt_request", channel="control")["content"]["status"] == "ok"
    _answer(kernel, cell, "")
    done = kernel.finish(cell)
    assert done.status == "ok", done.describe()
    assert done.result == "1"
    # The handler lasted as long as its cell: the kernel's handler interrupts the next one.
    assert kernel.value("signal.getsignal(signal.SIGINT) is handler") == "False"
    _interrupted_sleep(kernel)


def _interrupted_sleep(kernel: RunningKernel) -> None:
    cell = kernel.execute_request(
        "import time\nprint('sleeping', flush=True)\ntime.sleep(60)", allow_stdin=True
    )
    kernel.stream_until(cell, "sleeping")
    kernel.request("interrupt_request", channel="control")
    done = kernel.finish(cell, timeout=15)
    assert done.status == "error", done.describe()
    assert done.content["ename"] == "KeyboardInterrupt", done.describe()
    assert not kernel.has_reply(cell, "stdin"), "the interrupt opened a (Pdb) prompt"


def test_an_interrupt_after_a_pdb_session_ended_with_c_stops_the_cell(fresh_kernel: RunningKernel) -> None:
    kernel = fresh_kernel
    cell = kernel.execute_request("import pdb\nz = 7\npdb.set_trace()\nz * 2", allow_stdin=True)
    _answer(kernel, cell, "c")
    done = kernel.finish(cell)
    assert done.status == "ok", done.describe()
    assert done.result == "14"
    _interrupted_sleep(kernel)
    assert kernel.value("'alive'") == "'alive'"
