"""The ``braid-trio`` kernelspec: the kernel's behaviours, with the event loop running on trio.

A representative set of what the asyncio kernel's protocol tests check, written for trio cells:
top-level ``await trio.sleep``, chained order, requests answered while a cell awaits, comms reaching
an awaiting cell, ``input()``, interrupts (request and raw SIGINT, blocking and awaiting cells),
concurrent mode, subshells and shutdown.
"""

from __future__ import annotations

import os
import signal
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.protocol.conftest import BraidEnv, _close_and_show_log
from tests.protocol.kernel_client import Executed, RunningKernel

pytestmark = pytest.mark.timeout(60)

TRIO = "braid-trio"
BLOCKING = "import time\nprint('cell-started', flush=True)\ntime.sleep(60)"
AWAITING = "import trio\nprint('cell-started', flush=True)\nawait trio.sleep(60)"
# Computes without awaiting, much of the time inside trio's KeyboardInterrupt-protected code.
IN_TRIO_CODE = (
    "import trio\nprint('cell-started', flush=True)\nwhile True:\n    with trio.CancelScope():\n        pass"
)


@pytest.fixture(scope="module")
def trio_kernel(braid_env: BraidEnv) -> Iterator[RunningKernel]:
    k = RunningKernel(braid_env.new_log(), kernel_name=TRIO)
    try:
        k.wait_for_iopub()
        yield k
    finally:
        _close_and_show_log(k)


@pytest.fixture
def fresh_trio(start_kernel: Callable[..., RunningKernel]) -> RunningKernel:
    return start_kernel(kernel_name=TRIO)


def _assert_interrupted(done: Executed) -> None:
    assert done.status == "error", done.describe()
    assert done.content["ename"] == "KeyboardInterrupt", done.describe()


def test_cells_run_on_trio_and_await_trio_sleep(trio_kernel: RunningKernel) -> None:
    done = trio_kernel.run(
        "import sniffio, trio\n"
        "await trio.sleep(0.01)\n"
        "(sniffio.current_async_library(), trio.current_time() > 0)"
    )
    assert done.result == "('trio', True)"


def test_chained_cells_run_in_submission_order_on_trio(trio_kernel: RunningKernel) -> None:
    trio_kernel.run("import trio\ntrio_order = []")
    ids = [
        trio_kernel.execute_request("await trio.sleep(0.4)\ntrio_order.append(1)"),
        trio_kernel.execute_request("await trio.sleep(0.1)\ntrio_order.append(2)"),
        trio_kernel.execute_request("trio_order.append(3)"),
    ]
    for msg_id in ids:
        assert trio_kernel.reply(msg_id)["content"]["status"] == "ok"
    assert trio_kernel.value("trio_order") == "[1, 2, 3]"


def test_requests_answered_while_a_trio_cell_awaits(trio_kernel: RunningKernel, tmp_path: Path) -> None:
    """The cell awaits until the test has both answers (a file it creates): no time window."""
    release = tmp_path / "release"
    trio_kernel.run("import os, trio\ntrio_probe_value = 1")
    cell = trio_kernel.execute_request(
        "print('awaiting', flush=True)\n"
        f"while not os.path.exists({str(release)!r}):\n    await trio.sleep(0.01)"
    )
    trio_kernel.stream_until(cell, "awaiting")
    kernel_info = trio_kernel.send("shell", "kernel_info_request")
    complete = trio_kernel.send("shell", "complete_request", {"code": "trio_probe_v", "cursor_pos": 12})
    assert trio_kernel.reply(kernel_info)["content"]["implementation"] == "braid-kernel"
    assert "trio_probe_value" in trio_kernel.reply(complete)["content"]["matches"]
    assert not trio_kernel.has_reply(cell), "the requests were answered only after the cell finished"
    release.touch()
    assert trio_kernel.reply(cell)["content"]["status"] == "ok"


def test_awaiting_trio_cell_receives_comm_msg(trio_kernel: RunningKernel) -> None:
    trio_kernel.run(
        "import comm, trio\n"
        "trio_comm_event, trio_comm_value = trio.Event(), []\n"
        "def _open_trio(c, open_msg):\n"
        "    @c.on_msg\n"
        "    def _received(msg):\n"
        "        trio_comm_value.append(msg['content']['data']['value'])\n"
        "        trio_comm_event.set()\n"
        "comm.get_comm_manager().register_target('braid.trio', _open_trio)\n"
    )
    cell = trio_kernel.execute_request(
        "print('waiting', flush=True)\nawait trio_comm_event.wait()\ntrio_comm_value"
    )
    trio_kernel.stream_until(cell, "waiting")
    comm_id = uuid.uuid4().hex
    trio_kernel.send("shell", "comm_open", {"comm_id": comm_id, "target_name": "braid.trio", "data": {}})
    trio_kernel.send("shell", "comm_msg", {"comm_id": comm_id, "data": {"value": "via-comm"}})
    done = trio_kernel.finish(cell, timeout=10)
    assert done.status == "ok", done.describe()
    assert done.result == "['via-comm']"


def test_input_round_trip_on_trio(trio_kernel: RunningKernel) -> None:
    cell = trio_kernel.execute_request("answer = input('name? ')\nprint('hello', answer)", allow_stdin=True)
    request = trio_kernel.reply(cell, "stdin", timeout=10)
    assert request["msg_type"] == "input_request"
    reply = trio_kernel.kc.session.msg("input_reply", {"value": "trio-user", "status": "ok"}, parent=request)
    trio_kernel.kc.stdin_channel.send(reply)
    done = trio_kernel.finish(cell)
    assert done.status == "ok", done.describe()
    assert "hello trio-user" in done.stdout


def test_output_of_a_thread_started_by_a_trio_cell_lands_in_that_cell(trio_kernel: RunningKernel) -> None:
    done = trio_kernel.run(
        "import threading, trio\n"
        "t = threading.Thread(target=print, args=('from-thread',))\n"
        "t.start(); t.join()\n"
        "await trio.to_thread.run_sync(print, 'from-trio-worker')"
    )
    assert "from-thread" in done.stdout
    assert "from-trio-worker" in done.stdout


@pytest.mark.parametrize(
    "code", [BLOCKING, AWAITING, IN_TRIO_CODE], ids=["time_sleep", "trio_sleep", "trio_cancel_scopes"]
)
def test_interrupt_request_stops_a_trio_kernel_cell(fresh_trio: RunningKernel, code: str) -> None:
    cell = fresh_trio.execute_request(code)
    fresh_trio.stream_until(cell, "cell-started")
    queued = fresh_trio.execute_request("'queued'")
    reply = fresh_trio.request("interrupt_request", channel="control")
    assert reply["content"]["status"] == "ok"
    _assert_interrupted(fresh_trio.finish(cell, timeout=15))
    assert fresh_trio.reply(queued)["content"]["status"] == "aborted"
    assert fresh_trio.value("'next cell runs'") == "'next cell runs'"


def test_raw_sigint_interrupts_an_awaiting_trio_cell(fresh_trio: RunningKernel) -> None:
    cell = fresh_trio.execute_request(AWAITING)
    fresh_trio.stream_until(cell, "cell-started")
    os.kill(fresh_trio.pid, signal.SIGINT)
    _assert_interrupted(fresh_trio.finish(cell, timeout=15))
    os.kill(fresh_trio.pid, signal.SIGINT)  # idle: must not kill the kernel, nor stop the next cell
    assert fresh_trio.value("1 + 1") == "2"
    assert fresh_trio.is_alive()


# The SIGINT lands at the moment trio.sleep has entered its cancel scope and not yet the body of
# its ``with``: the profile hook raises it where a raw SIGINT reaches a cell on a loaded machine
# (the main thread loses the CPU inside trio's code just after printing).  Raising
# KeyboardInterrupt there left trio's scope on the task: "Cancel scope stack corrupted".
SIGINT_INSIDE_TRIO = (
    "import signal, sys, trio\n"
    "enter = trio.CancelScope.__enter__.__code__\n"
    "def sigint_inside_trio(frame, event, arg):\n"
    "    if event == 'return' and frame.f_code is enter:\n"
    "        sys.setprofile(None)\n"
    "        signal.raise_signal(signal.SIGINT)\n"
    "sys.setprofile(sigint_inside_trio)\n"
    "await trio.sleep(60)"
)


def test_raw_sigint_landing_inside_trio_code_interrupts_the_awaiting_cell(fresh_trio: RunningKernel) -> None:
    _assert_interrupted(fresh_trio.execute(SIGINT_INSIDE_TRIO, timeout=15))
    assert fresh_trio.value("1 + 1") == "2"


def test_concurrent_trio_kernel_runs_awaiting_cells_together(
    start_kernel: Callable[..., RunningKernel],
) -> None:
    k = start_kernel(kernel_name="braid-concurrent-trio")
    k.run("import trio\ntrio_events = []")
    slow = k.execute_request(
        "trio_events.append('slow-start')\nawait trio.sleep(1.5)\ntrio_events.append('slow-end')"
    )
    k.stream_until(k.execute_request("print('marker', flush=True)"), "marker")
    fast = k.execute_request("trio_events.append('fast')")
    assert k.reply(fast)["content"]["status"] == "ok"
    assert k.reply(slow)["content"]["status"] == "ok"
    assert k.value("trio_events") == "['slow-start', 'fast', 'slow-end']"


def test_subshell_on_trio_answers_while_the_main_shell_awaits(fresh_trio: RunningKernel) -> None:
    created = fresh_trio.request("create_subshell_request", channel="control")["content"]
    assert created["status"] == "ok"
    sid = created["subshell_id"]
    main = fresh_trio.execute_request("import trio\nprint('main-awaiting', flush=True)\nawait trio.sleep(3)")
    fresh_trio.stream_until(main, "main-awaiting")
    code = "import sniffio\nawait trio.sleep(0)\nsniffio.current_async_library()"
    body = {
        "code": code,
        "silent": False,
        "store_history": True,
        "user_expressions": {},
        "allow_stdin": False,
    }
    sub = fresh_trio.send("shell", "execute_request", body, subshell_id=sid)
    reply = fresh_trio.reply(sub, timeout=10)
    assert reply["content"]["status"] == "ok", reply["content"]
    assert not fresh_trio.has_reply(main), "the subshell waited for the main shell"
    assert fresh_trio.reply(main)["content"]["status"] == "ok"
    deleted = fresh_trio.request("delete_subshell_request", {"subshell_id": sid}, channel="control")
    assert deleted["content"]["status"] == "ok"


def test_shutdown_of_a_trio_kernel_while_a_cell_awaits(fresh_trio: RunningKernel) -> None:
    cell = fresh_trio.execute_request(AWAITING)
    fresh_trio.stream_until(cell, "cell-started")
    reply = fresh_trio.request("shutdown_request", {"restart": False}, channel="control")
    assert reply["content"]["status"] == "ok"
    assert fresh_trio.wait_for_exit(timeout=10), "the trio kernel did not exit after shutdown"
