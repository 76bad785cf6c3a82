"""Execute round trip: an in-process kernel beside a kernel process over ZeroMQ.

Times ``execute_request`` -> ``execute_reply`` and -> ``status: idle`` (everything the cell
published has arrived) for the same cell, N times after a warm-up, and prints the median and the
90th percentile of each::

    .venv/bin/python benchmarks/inprocess_roundtrip.py [--n 300] [--code "pass"] [--backend trio]

The kernel process is started with jupyter_client from a kernelspec installed into a temporary
prefix (removed afterwards) and shut down at the end; the in-process kernel runs on this
process's event loop (asyncio, or trio with ``--backend trio``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio

Timings = tuple[list[float], list[float]]  # (to reply, to idle) in seconds


def _summary(name: str, samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p90 = ms[int(len(ms) * 0.9) - 1]
    return f"{name:<34} median {statistics.median(ms):7.3f} ms   p90 {p90:7.3f} ms"


async def _inprocess(code: str, n: int, warmup: int) -> Timings:
    from braid_kernel import InProcessKernel

    to_reply, to_idle = [], []
    async with InProcessKernel() as kernel:
        client = kernel.client()
        iopub = client.iopub()
        for i in range(warmup + n):
            start = time.perf_counter()
            msg_id = client.send("execute_request", {"code": code, "silent": False, "store_history": True})
            await client.reply(msg_id)
            replied = time.perf_counter()
            async for msg in iopub:
                done = (
                    msg["parent_header"].get("msg_id") == msg_id
                    and msg["content"].get("execution_state") == "idle"
                )
                if done:
                    break
            idle = time.perf_counter()
            if i >= warmup:
                to_reply.append(replied - start)
                to_idle.append(idle - start)
    return to_reply, to_idle


def _zmq(code: str, n: int, warmup: int) -> Timings:
    from jupyter_client.manager import KernelManager

    with tempfile.TemporaryDirectory(prefix="braid-bench-") as tmp:
        prefix = Path(tmp)
        install = [sys.executable, "-m", "braid_kernel", "install", "--prefix", str(prefix)]
        subprocess.run(install, check=True, capture_output=True, timeout=60)
        os.environ["JUPYTER_PATH"] = str(prefix / "share" / "jupyter")
        km = KernelManager(kernel_name="braid", connection_file=str(prefix / "kernel.json"))
        km.start_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        kc = km.client()
        try:
            kc.start_channels()
            kc.wait_for_ready(timeout=60)
            return _zmq_loop(kc, code, n, warmup)
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=False)


def _zmq_loop(kc: Any, code: str, n: int, warmup: int) -> Timings:
    to_reply, to_idle = [], []
    for i in range(warmup + n):
        start = time.perf_counter()
        msg_id = kc.execute(code)
        while kc.get_shell_msg(timeout=30)["parent_header"].get("msg_id") != msg_id:
            pass
        replied = time.perf_counter()
        while True:
            msg = kc.get_iopub_msg(timeout=30)
            if (
                msg["parent_header"].get("msg_id") == msg_id
                and msg["content"].get("execution_state") == "idle"
            ):
                break
        idle = time.perf_counter()
        if i >= warmup:
            to_reply.append(replied - start)
            to_idle.append(idle - start)
    return to_reply, to_idle


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="timed executions per kernel")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--code", default="pass", help="the cell to execute")
    parser.add_argument("--backend", default="asyncio", choices=("asyncio", "trio"))
    args = parser.parse_args(argv)

    runs: list[tuple[str, Callable[[], Timings]]] = [
        (
            f"in-process ({args.backend})",
            lambda: anyio.run(_inprocess, args.code, args.n, args.warmup, backend=args.backend),
        ),
        ("kernel process (ZeroMQ)", lambda: _zmq(args.code, args.n, args.warmup)),
    ]
    print(f"execute round trip of {args.code!r}, median of {args.n} (after {args.warmup} warm-up)")
    for name, run in runs:
        to_reply, to_idle = run()
        print(_summary(f"{name}: reply", to_reply), file=sys.__stdout__)
        print(_summary(f"{name}: idle", to_idle), file=sys.__stdout__)


if __name__ == "__main__":
    main()
