"""Time from launching a kernel to its first kernel_info reply and to its first cell's reply.

kbench's ``startup`` stops at the first kernel_info reply; a braid kernel answers that only once
its main shell serves (see ``routing/startup.py``), so both figures should be close for braid.  This
script measures both: launch -> kernel_info reply, and launch -> execute_reply of ``1``, sent at
launch (ZeroMQ queues it until the kernel binds), which is what a user waits for before the first
result.  jupyter_client's ``wait_for_ready`` is not used: it adds a fixed 0.2 s.

    python benchmarks/first_cell.py --kernel python3 --kernel braid --trials 5
"""

from __future__ import annotations

import argparse
import statistics
import time
from queue import Empty

from jupyter_client.manager import KernelManager


def _first_reply(name: str, msg_type: str) -> float:
    km = KernelManager(kernel_name=name)
    t0 = time.perf_counter()
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    try:
        if msg_type == "execute":
            msg_id = kc.execute("1")
            timeout = 60.0
        else:
            msg_id, timeout = kc.kernel_info(), 0.05
        while True:
            try:
                reply = kc.get_shell_msg(timeout=timeout)
            except Empty:  # not bound yet: ask again, as a frontend polling for readiness does
                msg_id = kc.kernel_info()
                continue
            if reply["parent_header"].get("msg_id") == msg_id:
                return time.perf_counter() - t0
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def measure(name: str) -> tuple[float, float]:
    return _first_reply(name, "kernel_info"), _first_reply(name, "execute")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kernel", action="append", required=True)
    parser.add_argument("--trials", type=int, default=5)
    args = parser.parse_args()
    print(f"{'kernel':<12} {'kernel_info p50 ms':>19} {'first cell p50 ms':>18}")
    for name in args.kernel:
        runs = [measure(name) for _ in range(args.trials)]
        ready = statistics.median(r for r, _ in runs) * 1000
        first = statistics.median(f for _, f in runs) * 1000
        print(f"{name:<12} {ready:>19.0f} {first:>18.0f}")


if __name__ == "__main__":
    main()
