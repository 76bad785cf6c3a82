"""A long session: many cells one after another, RSS growth and latency at the end vs the start.

Starts each kernel named with ``--kernel`` (``braid``: this checkout's code, ``python3``:
ipykernel, both on the interpreter given with ``--python``), runs ``--cells`` cells in order,
each sent once the previous one is idle, and reports:

* RSS after a warm-up (once the kernel has been idle for a moment) and after the last cell, and
  the growth per cell;
* the send → ``status: idle`` latency of the first and of the last ``--window`` cells
  (median and 99th percentile).

The cells rotate through what a notebook does: an assignment and a print, a displayed value, a
function definition and its call, an error raised and caught by the kernel (shown as a traceback).
Every kernel is shut down at the end (a kill if it does not answer).

Usage: ``python benchmarks/soak_bench.py [--cells 10000] [--kernel braid --kernel python3]
[--python /work/diffvenv/bin/python]`` from the repository root.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import psutil
from jupyter_client import KernelManager
from jupyter_client.kernelspec import KernelSpec

ROOT = Path(__file__).resolve().parents[1]
MB = 1024 * 1024
SETTLE = 2.0  # seconds idle before the first RSS reading: past braid's background warm-up

CELLS = (
    "x{i} = {i}\nprint('cell', x{i})",
    "{i} * 2",
    "def f{i}(a):\n    return a + {i}\nf{i}(1)",
    "raise ValueError('cell {i}')",
)


def kernel_spec(name: str, python: str) -> KernelSpec:
    if name == "braid":
        env = {"PYTHONPATH": str(ROOT / "src")}
        argv = [python, "-m", "braid_kernel", "start", "-f", "{connection_file}"]
    elif name == "python3":
        env = {}
        argv = [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    else:
        raise SystemExit(f"unknown kernel {name!r} (braid or python3)")
    return KernelSpec(argv=argv, env=env, display_name=name, language="python")


def run_cell(kc: Any, code: str) -> float:
    """Send ``code``; seconds until the kernel is idle again after it."""
    start = time.perf_counter()
    msg_id = kc.execute(code, store_history=True)
    while True:
        msg = kc.get_iopub_msg(timeout=120)
        if (
            msg["parent_header"].get("msg_id") == msg_id
            and msg["msg_type"] == "status"
            and msg["content"]["execution_state"] == "idle"
        ):
            return time.perf_counter() - start


def tree_rss(pid: int) -> float:
    proc = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)]) / MB


def percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(ordered) * 1000:6.2f} ms, p99 {p99 * 1000:6.2f} ms"


def soak(name: str, python: str, cells: int, window: int) -> None:
    km = KernelManager()
    km._kernel_spec = kernel_spec(name, python)  # a spec of our own: nothing to install
    km.start_kernel(stderr=open(os.devnull, "w"))  # noqa: SIM115 (the kernel process holds it)
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=120)
        pid = km.provisioner.process.pid  # type: ignore[union-attr]
        run_cell(kc, "pass")
        time.sleep(SETTLE)
        rss_start = tree_rss(pid)
        started = time.perf_counter()
        latencies = [run_cell(kc, CELLS[i % len(CELLS)].format(i=i)) for i in range(cells)]
        wall = time.perf_counter() - started
        time.sleep(SETTLE)
        rss_end = tree_rss(pid)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)
    window = min(window, cells)
    print(f"{name}: {cells} cells in {wall:.1f} s")
    print(
        f"  RSS {rss_start:.1f} -> {rss_end:.1f} MB: +{rss_end - rss_start:.1f} MB, "
        f"{(rss_end - rss_start) * MB / cells / 1024:.2f} kB per cell"
    )
    print(f"  first {window} cells: {percentiles(latencies[:window])}")
    print(f"  last  {window} cells: {percentiles(latencies[-window:])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kernel", action="append", default=[], help="braid or python3 (repeatable)")
    parser.add_argument("--cells", type=int, default=10_000)
    parser.add_argument("--window", type=int, default=1000, help="cells in the first/last latency window")
    parser.add_argument("--python", default=sys.executable, help="interpreter the kernels run on")
    args = parser.parse_args()
    for name in args.kernel or ["braid", "python3"]:
        soak(name, args.python, args.cells, args.window)


if __name__ == "__main__":
    main()
