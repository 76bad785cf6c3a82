"""Top-level await, chained order, and requests served while a cell awaits."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.protocol import transports
from tests.protocol.kernel_client import RunningKernel

pytestmark = pytest.mark.timeout(60)

kernel = transports.kernel  # a kernel process, and in-process


def test_top_level_await_returns_the_value(kernel: RunningKernel) -> None:
    done = kernel.run("import asyncio\nawait asyncio.sleep(0.01)\nawait asyncio.sleep(0, 'awaited-value')")
    assert done.result == "'awaited-value'"


def test_chained_cells_run_in_submission_order(kernel: RunningKernel) -> None:
    kernel.run("import asyncio\nchain_order = []")
    ids = [
        kernel.execute_request("await asyncio.sleep(0.4)\nchain_order.append(1)"),
        kernel.execute_request("await asyncio.sleep(0.1)\nchain_order.append(2)"),
        kernel.execute_request("chain_order.append(3)"),
    ]
    for msg_id in ids:
        assert kernel.reply(msg_id)["content"]["status"] == "ok"
    assert kernel.value("chain_order") == "[1, 2, 3]"


def test_execute_replies_arrive_in_submission_order(kernel: RunningKernel) -> None:
    ids = [kernel.execute_request(f"import asyncio\nawait asyncio.sleep({d})") for d in (0.3, 0.0, 0.1)]
    for msg_id in ids:
        kernel.reply(msg_id)
    replies = [p for p in kernel.shell_arrivals if p in ids]
    assert replies == ids


def test_kernel_info_complete_and_inspect_answered_while_a_cell_awaits(
    kernel: RunningKernel, tmp_path: Path
) -> None:
    """The cell awaits until the test releases it, after the answers came: no time window (the
    first completion imports jedi, seconds on a loaded machine).  A kernel that answers only after
    the cell would never answer: ``reply`` fails after its timeout."""
    release = tmp_path / "release"
    kernel.run("import asyncio, os\nawaiting_probe_value = 1")
    cell = kernel.execute_request(
        f"print('awaiting', flush=True)\nwhile not os.path.exists({str(release)!r}):\n"
        "    await asyncio.sleep(0.01)"
    )
    kernel.stream_until(cell, "awaiting")
    others = [
        kernel.send("shell", "kernel_info_request"),
        kernel.send("shell", "complete_request", {"code": "awaiting_probe_v", "cursor_pos": 16}),
        kernel.send("shell", "inspect_request", {"code": "len", "cursor_pos": 3, "detail_level": 0}),
        kernel.send("shell", "comm_info_request", {}),
    ]
    try:
        replies = [kernel.reply(msg_id) for msg_id in others]
        assert not kernel.has_reply(cell), "the cell finished before it was released"
    finally:
        release.touch()
    assert replies[0]["content"]["implementation"] == "braid-kernel"
    assert "awaiting_probe_value" in replies[1]["content"]["matches"]
    assert replies[2]["content"]["found"] is True
    assert kernel.reply(cell)["content"]["status"] == "ok"


def test_awaiting_cell_receives_comm_msg(kernel: RunningKernel) -> None:
    """ipykernel #646: a cell awaits a Future that only a comm message can resolve."""
    kernel.run(
        "import asyncio, comm\n"
        "comm_future = asyncio.get_running_loop().create_future()\n"
        "def _open_646(c, open_msg):\n"
        "    @c.on_msg\n"
        "    def _received(msg):\n"
        "        comm_future.set_result(msg['content']['data']['value'])\n"
        "comm.get_comm_manager().register_target('braid.test646', _open_646)\n"
    )
    cell = kernel.execute_request("print('waiting', flush=True)\nawait comm_future")
    kernel.stream_until(cell, "waiting")
    comm_id = uuid.uuid4().hex
    kernel.send("shell", "comm_open", {"comm_id": comm_id, "target_name": "braid.test646", "data": {}})
    kernel.send("shell", "comm_msg", {"comm_id": comm_id, "data": {"value": "resolved-by-comm"}})
    done = kernel.finish(cell, timeout=10)
    assert done.status == "ok", done.describe()
    assert done.result == "'resolved-by-comm'"
