"""Run-time switch between chained and concurrent execution, and ``await __task__()``."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.protocol import transports

pytestmark = pytest.mark.timeout(60)

start_kernel = transports.start_kernel  # (fresh_kernel too)


def test_unchain_execution_lets_awaiting_cells_overlap_and_chain_restores_order(fresh_kernel: Any) -> None:
    k = fresh_kernel
    k.run("import asyncio, time\n__unchain_execution__()")
    t0 = time.monotonic()
    ids = [k.execute_request("await asyncio.sleep(1)") for _ in range(4)]
    for mid in ids:
        assert k.reply(mid)["content"]["status"] == "ok"
    assert time.monotonic() - t0 < 3.0, "unchained cells ran one after another"
    k.run("__chain_execution__()")
    t0 = time.monotonic()
    ids = [k.execute_request("await asyncio.sleep(0.5)") for _ in range(3)]
    for mid in ids:
        k.reply(mid)
    assert time.monotonic() - t0 >= 1.4, "chained cells overlapped"


def test_await_task_waits_for_the_previous_cell(fresh_kernel: Any) -> None:
    k = fresh_kernel
    k.run("import asyncio\nbox = []\n__unchain_execution__()")
    first = k.execute_request("await asyncio.sleep(0.5)\nbox.append('first')")
    second = k.execute_request("await __task__()\nbox.append('second')")
    assert k.reply(first)["content"]["status"] == "ok"
    assert k.reply(second)["content"]["status"] == "ok"
    assert k.value("box") == "['first', 'second']"
