"""Interrupts: interrupt_request and raw SIGINT stop the running cell and never kill the kernel.

In-process, an interrupt cancels awaiting cells (there is no signal for blocking code)."""

from __future__ import annotations

import os
import signal
import time

import pytest

from tests.protocol import transports
from tests.protocol.kernel_client import Executed, RunningKernel

pytestmark = pytest.mark.timeout(60)

start_kernel = transports.start_kernel  # (fresh_kernel too)

BLOCKING = "import time\nprint('cell-started', flush=True)\ntime.sleep(60)"
AWAITING = "import asyncio\nprint('cell-started', flush=True)\nawait asyncio.sleep(60)"


def _start(kernel: RunningKernel, code: str) -> str:
    cell = kernel.execute_request(code)
    kernel.stream_until(cell, "cell-started")
    return cell


def _assert_interrupted(done: Executed) -> None:
    assert done.status == "error", done.describe()
    assert done.content["ename"] == "KeyboardInterrupt", done.describe()
    errors = done.of_type("error")
    assert [e["content"]["ename"] for e in errors] == ["KeyboardInterrupt"], done.describe()


def _assert_serves_next_cell(kernel: RunningKernel) -> None:
    assert kernel.is_alive()
    assert kernel.value("'next cell runs'") == "'next cell runs'"


def _interrupt_request_stops(kernel: RunningKernel, code: str) -> None:
    cell = _start(kernel, code)
    started = time.monotonic()
    reply = kernel.request("interrupt_request", channel="control")
    assert reply["msg_type"] == "interrupt_reply"
    assert reply["content"]["status"] == "ok"
    done = kernel.finish(cell, timeout=15)
    assert time.monotonic() - started < 15
    _assert_interrupted(done)
    _assert_serves_next_cell(kernel)


def test_interrupt_request_stops_an_awaiting_cell(fresh_kernel: RunningKernel) -> None:
    _interrupt_request_stops(fresh_kernel, AWAITING)


@transports.zmq_only("start_kernel")  # in-process there is no signal to stop blocking code
def test_interrupt_request_stops_a_blocking_cell(fresh_kernel: RunningKernel) -> None:
    _interrupt_request_stops(fresh_kernel, BLOCKING)


def _queued_cells_are_aborted(kernel: RunningKernel, code: str) -> None:
    kernel.run("queued_ran = []")
    cell = _start(kernel, code)
    queued = kernel.execute_request("queued_ran.append(1)")
    kernel.request("interrupt_request", channel="control")
    _assert_interrupted(kernel.finish(cell, timeout=15))
    assert kernel.reply(queued)["content"]["status"] == "aborted"
    assert kernel.value("queued_ran") == "[]"


@transports.zmq_only("start_kernel")
def test_interrupt_request_aborts_cells_queued_behind_the_interrupted_one(
    fresh_kernel: RunningKernel,
) -> None:
    _queued_cells_are_aborted(fresh_kernel, BLOCKING)


def test_interrupt_request_aborts_cells_queued_behind_an_awaiting_cell(fresh_kernel: RunningKernel) -> None:
    _queued_cells_are_aborted(fresh_kernel, AWAITING)


@transports.zmq_only("start_kernel")  # signals reach a kernel process, not an in-process kernel
@pytest.mark.parametrize("code", [BLOCKING, AWAITING], ids=["time_sleep", "asyncio_sleep"])
def test_raw_sigint_interrupts_the_running_cell_and_the_kernel_survives(
    fresh_kernel: RunningKernel, code: str
) -> None:
    cell = _start(fresh_kernel, code)
    os.kill(fresh_kernel.pid, signal.SIGINT)
    _assert_interrupted(fresh_kernel.finish(cell, timeout=15))
    _assert_serves_next_cell(fresh_kernel)


@transports.zmq_only("start_kernel")
def test_a_sigint_delivered_to_another_thread_still_interrupts_an_awaiting_cell(
    fresh_kernel: RunningKernel,
) -> None:
    """``kill -INT`` may land on any thread; the main loop must still wake up to handle it."""
    code = (
        "import asyncio, signal, threading, time\n"
        "def _signal_from_a_thread():\n"
        "    time.sleep(0.5)  # the main thread is waiting in the loop's select by then\n"
        "    signal.pthread_kill(threading.get_ident(), signal.SIGINT)\n"
        "threading.Thread(target=_signal_from_a_thread, daemon=True).start()\n"
        "print('cell-started', flush=True)\n"
        "await asyncio.sleep(60)"
    )
    _assert_interrupted(fresh_kernel.finish(_start(fresh_kernel, code), timeout=15))
    _assert_serves_next_cell(fresh_kernel)


@transports.zmq_only("start_kernel")
def test_sigint_when_idle_does_not_kill_the_kernel(fresh_kernel: RunningKernel) -> None:
    fresh_kernel.run("idle_state = 'kept'")
    os.kill(fresh_kernel.pid, signal.SIGINT)
    time.sleep(0.5)
    assert fresh_kernel.is_alive(), "a SIGINT while idle killed the kernel"
    done = fresh_kernel.run("idle_state")
    assert done.result == "'kept'"
    assert not done.of_type("error")


@transports.zmq_only("start_kernel")
def test_a_sigint_right_after_an_interrupt_request_stops_the_next_cell(fresh_kernel: RunningKernel) -> None:
    """A raw SIGINT is a new interrupt however soon it follows one the kernel handled
    (gateways send both kinds): it used to be taken for a re-sent copy when it came
    within 0.2 s, and the next cell then ran its whole sleep."""
    cell = _start(fresh_kernel, BLOCKING)
    fresh_kernel.request("interrupt_request", channel="control")
    _assert_interrupted(fresh_kernel.finish(cell, timeout=15))
    signalled = "import os, signal, time\nos.kill(os.getpid(), signal.SIGINT)\ntime.sleep(60)"
    _assert_interrupted(fresh_kernel.finish(fresh_kernel.execute_request(signalled), timeout=15))
    _assert_serves_next_cell(fresh_kernel)
