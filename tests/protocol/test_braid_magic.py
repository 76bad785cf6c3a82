"""The ``%braid`` magic: help, ``mode``, ``cancel``; and stop_on_error in concurrent mode."""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any

import pytest

from tests.protocol.kernel_client import RunningKernel, strip_ansi

pytestmark = pytest.mark.timeout(60)

SPAN = "_s = time.monotonic()\nawait asyncio.sleep({secs})\nspans.append((_s, time.monotonic()))"


def _overlapped(spans: list[tuple[float, float]]) -> bool:
    (a0, a1), (b0, b1) = spans
    return b0 < a1 and a0 < b1


def test_braid_without_arguments_lists_the_subcommands(kernel: RunningKernel) -> None:
    out = kernel.run("%braid").stdout
    assert "%braid mode" in out and "%braid cancel" in out


def test_unknown_subcommand_is_a_usage_error_naming_the_known_ones(kernel: RunningKernel) -> None:
    done = kernel.execute("%braid frobnicate")
    assert done.status == "error"
    text = strip_ansi(done.content.get("evalue", "") + "".join(done.content.get("traceback", [])))
    assert "frobnicate" in text and "mode" in text, text


def test_mode_concurrent_then_chained(fresh_kernel: Any) -> None:
    k = fresh_kernel
    k.run("import asyncio, time\nspans = []")
    assert k.run("%braid mode").stdout.strip() == "chained"
    k.run("%braid mode concurrent")
    assert k.run("%braid mode").stdout.strip() == "concurrent"
    ids = [k.execute_request(SPAN.format(secs=0.6)) for _ in range(2)]
    for mid in ids:
        assert k.reply(mid)["content"]["status"] == "ok"
    assert _overlapped(ast.literal_eval(k.value("spans")))
    k.run("%braid mode chained\nspans.clear()")
    ids = [k.execute_request(SPAN.format(secs=0.3)) for _ in range(2)]
    for mid in ids:
        assert k.reply(mid)["content"]["status"] == "ok"
    assert not _overlapped(ast.literal_eval(k.value("spans")))


def test_mode_rejects_unknown_values(kernel: RunningKernel) -> None:
    done = kernel.execute("%braid mode sideways")
    assert done.status == "error"
    assert "concurrent" in strip_ansi(done.content["evalue"])


def test_cancel_stops_only_the_named_cell(start_kernel: Callable[..., RunningKernel]) -> None:
    k = start_kernel(kernel_name="braid-concurrent")
    k.run("import asyncio")
    slow = k.execute_request("await asyncio.sleep(30)")
    other = k.execute_request("await asyncio.sleep(1.0)\n'other done'")
    k.iopub_settle(0.3)
    count = k.reply(k.execute_request("1"))["content"]["execution_count"]
    slow_count = count - 2
    assert k.run(f"%braid cancel {slow_count}").status == "ok"
    reply = k.reply(slow, timeout=10)["content"]
    assert reply["status"] == "error" and reply["ename"] == "KeyboardInterrupt"
    assert f"%braid cancel {slow_count}" in reply["evalue"]
    assert k.reply(other, timeout=10)["content"]["status"] == "ok"
    assert k.value("'alive'") == "'alive'"


def test_cancel_of_an_unknown_cell_says_so(kernel: RunningKernel) -> None:
    out = kernel.run("%braid cancel 99999").stdout
    assert "no running or waiting cell [99999]" in out


def test_cancel_needs_integers(kernel: RunningKernel) -> None:
    assert kernel.execute("%braid cancel x").status == "error"


def test_stop_on_error_in_concurrent_mode_spares_running_cells(
    start_kernel: Callable[..., RunningKernel],
) -> None:
    k = start_kernel(kernel_name="braid-concurrent")
    k.run("import asyncio, time\nseen = []")
    running = k.execute_request("await asyncio.sleep(1.0)\nseen.append('running')")
    failing = k.execute_request("await asyncio.sleep(0.2)\ntime.sleep(0.8)\n1/0")
    k.iopub_settle(0.5)  # the failing cell now blocks the loop in time.sleep
    queued = k.execute_request("seen.append('queued')")
    assert k.reply(failing)["content"]["status"] == "error"
    assert k.reply(running)["content"]["status"] == "ok"
    assert k.reply(queued)["content"]["status"] == "aborted"
    assert k.run("seen.append('after')").status == "ok"
    assert k.value("seen") == "['running', 'after']"
