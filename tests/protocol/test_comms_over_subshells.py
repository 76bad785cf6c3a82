"""Widget messages sent over a subshell (JupyterLab's ``commsOverSubshells``).

JupyterLab 4.4+ sends comm messages on a subshell of their own when the kernel
supports subshells.  The notebook's callbacks must still be able to wake a
cell awaiting on the main loop (ipykernel #646), and still run while the main
thread blocks in synchronous code.
"""

from __future__ import annotations

import pytest

from tests.protocol.kernel_client import RunningKernel
from tests.protocol.test_subshells import create, delete, send_execute

pytestmark = pytest.mark.timeout(90)

SLIDER = (
    "import asyncio, threading, ipywidgets as widgets\n"
    "slider = widgets.IntSlider(value=1)\n"
    "threads = []\n"
    "display(slider)"
)
AWAIT_CHANGE = (
    "moved = asyncio.get_running_loop().create_future()\n"
    "def _on_change(change):\n"
    "    threads.append(threading.current_thread().name)\n"
    "    if not moved.done():\n"
    "        moved.set_result(change['new'])\n"
    "slider.observe(_on_change, 'value')\n"
    "print('awaiting', flush=True)\n"
    "print('moved to', await asyncio.wait_for(moved, 20))"
)


def _slider_id(kernel: RunningKernel) -> str:
    shown = kernel.run(SLIDER)
    for msg in shown.of_type("comm_open"):
        if msg["content"]["data"]["state"].get("_model_name") == "IntSliderModel":
            return str(msg["content"]["comm_id"])
    raise AssertionError("no IntSlider comm opened")


def _move(kernel: RunningKernel, comm_id: str, value: int, sid: str) -> str:
    data = {"method": "update", "state": {"value": value}, "buffer_paths": []}
    return kernel.send("shell", "comm_msg", {"comm_id": comm_id, "data": data}, subshell_id=sid)


def test_slider_moved_over_a_subshell_wakes_the_awaiting_cell(fresh_kernel: RunningKernel) -> None:
    k = fresh_kernel
    comm_id = _slider_id(k)
    sid = create(k)
    cell = send_execute(k, AWAIT_CHANGE, None)
    k.stream_until(cell, "awaiting")
    k.iopub_until_idle(_move(k, comm_id, 42, sid))
    done = k.finish(cell, 30)
    assert done.status == "ok", done.describe()
    assert "moved to 42" in done.stdout
    assert k.value("threads") == "['MainThread']"
    delete(k, sid)


def test_slider_moved_over_a_subshell_while_main_blocks_is_handled_at_once(
    fresh_kernel: RunningKernel,
) -> None:
    k = fresh_kernel
    comm_id = _slider_id(k)
    sid = create(k)
    k.run("slider.observe(lambda change: threads.append(threading.current_thread().name), 'value')")
    blocker = send_execute(k, "import time\nprint('blocking', flush=True)\ntime.sleep(3)", None)
    k.stream_until(blocker, "blocking")
    k.iopub_until_idle(_move(k, comm_id, 7, sid), timeout=2.5)  # handled while main sleeps
    assert k.maybe_reply(blocker, timeout=0.01) is None, "the comm message waited for the blocking cell"
    k.reply(blocker, timeout=30)
    assert k.value("slider.value") == "7"
    assert k.value("threads[0].startswith('braid-subshell')") == "True"
    delete(k, sid)
