"""The ``braid-concurrent`` kernelspec: cells that await run at the same time."""

from __future__ import annotations

import ast
import subprocess
import sys
import time
from collections.abc import Callable

import pytest

from tests.protocol import transports
from tests.protocol.conftest import BraidEnv
from tests.protocol.kernel_client import RunningKernel

pytestmark = pytest.mark.timeout(60)

kernel = transports.kernel  # a kernel process, and in-process
start_kernel = transports.start_kernel  # (fresh_kernel too)

SPAN = (
    "import time\n"
    "_start = time.monotonic()\n"
    "await asyncio.sleep(1)\n"
    "spans[{name!r}] = (_start, time.monotonic())"
)


def test_concurrent_kernelspec_is_installed_and_listed(braid_env: BraidEnv) -> None:
    listing = subprocess.run(
        [sys.executable, "-m", "braid_kernel", "list", "--prefix", str(braid_env.prefix)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    lines = {line.split()[0]: line for line in listing.splitlines() if line.strip()}
    assert "braid" in lines and "braid-concurrent" in lines, listing
    assert "modes=concurrent" in lines["braid-concurrent"]
    assert "modes=chained" in lines["braid"]


def _run_two_sleepers(kernel: RunningKernel) -> tuple[float, dict[str, tuple[float, float]]]:
    kernel.run("import asyncio\nspans = {}")
    started = time.monotonic()
    ids = [kernel.execute_request(SPAN.format(name=name)) for name in ("a", "b")]
    for msg_id in ids:
        assert kernel.reply(msg_id, timeout=15)["content"]["status"] == "ok"
    elapsed = time.monotonic() - started
    spans = ast.literal_eval(kernel.value("spans"))
    return elapsed, spans


def test_concurrent_mode_runs_two_awaiting_cells_at_the_same_time(
    start_kernel: Callable[..., RunningKernel],
) -> None:
    kernel = start_kernel(kernel_name="braid-concurrent")
    elapsed, spans = _run_two_sleepers(kernel)
    (a_start, a_end), (b_start, b_end) = spans["a"], spans["b"]
    assert b_start < a_end and a_start < b_end, f"the cells did not overlap: {spans}"
    assert elapsed < 1.9, f"two 1 s awaits took {elapsed:.2f}s in concurrent mode"


def test_concurrent_mode_still_numbers_cells_in_order(start_kernel: Callable[..., RunningKernel]) -> None:
    kernel = start_kernel(kernel_name="braid-concurrent")
    kernel.run("import asyncio")
    ids = [kernel.execute_request(f"await asyncio.sleep({d})\n{i}") for i, d in enumerate((0.5, 0.0))]
    counts = [kernel.reply(msg_id)["content"]["execution_count"] for msg_id in ids]
    assert counts[1] == counts[0] + 1


def test_chained_mode_runs_the_same_cells_one_after_the_other(kernel: RunningKernel) -> None:
    elapsed, spans = _run_two_sleepers(kernel)
    (_, a_end), (b_start, _) = spans["a"], spans["b"]
    assert a_end <= b_start, f"chained cells overlapped: {spans}"
    assert elapsed >= 2.0
