"""Cache mode, measured the way a frontend sees it: execute_request to execute_reply.

Starts one ``braid`` kernel (its own kernelspec prefix and cache directory in a temp dir) and
switches cache mode with ``%braid cache on|off``:

* **slow cell** — sleeps 1 s and binds 10 MB (a float64 array): its time with cache mode off,
  on a miss (the store emptied first) and on a hit;
* **trivial cells** — ``x = <i>`` cells, each distinct (every one a miss that is stored), with cache
  mode off and on; and one trivial cell repeated (every run a hit); in interleaved blocks.

Usage: ``python benchmarks/cache_bench.py [--rounds N] [--cache-dir DIR]`` from the repository
root (a store on a file system where creating a file is slow shows it in the miss figures).  The issue's
targets: hit ≤ 20 ms, miss overhead ≤ 10 % + 5 ms, per-cell overhead for trivial cells ≤ 0.3 ms.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from cache_timing import median_ms, off_miss_hit, round_trip

SLOW = (
    "import time\n"
    "import numpy as np\n"
    "time.sleep(1)\n"
    "data = np.random.default_rng(seed).random(1_250_000)\n"
    "print('mean', round(float(data.mean()), 3))"
)


def _ms(values: list[float]) -> str:
    return f"{median_ms(values):8.2f} ms (median of {len(values)})"


def _extra(values: list[float], baseline: list[float]) -> str:
    return f"overhead {median_ms(values) - median_ms(baseline):+.3f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="runs of the slow cell per case")
    parser.add_argument("--trivial", type=int, default=300, help="trivial cells per case")
    parser.add_argument("--cache-dir", type=Path, help="where the store goes (default: a temp dir)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="braid-cache-bench-") as tmp:
        prefix = Path(tmp) / "prefix"
        subprocess.run(
            [sys.executable, "-m", "braid_kernel", "install", "--prefix", str(prefix)],
            check=True,
            capture_output=True,
        )
        os.environ["JUPYTER_PATH"] = str(prefix / "share" / "jupyter")
        os.environ["BRAID_CACHE_DIR"] = str(args.cache_dir or Path(tmp) / "cache")
        from jupyter_client.manager import start_new_kernel

        km, kc = start_new_kernel(kernel_name="braid")
        try:
            run(kc, args.rounds, args.trivial)
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=False)


def run(kc: Any, rounds: int, trivial: int) -> None:
    round_trip(kc, "seed = 0\nimport numpy")
    off, misses, hits = off_miss_hit(kc, SLOW, rounds)
    print("slow cell (1 s, 10 MB bound):")
    print(f"  cache off      {_ms(off)}")
    print(f"  miss           {_ms(misses)}   {_extra(misses, off)}")
    print(f"  hit            {_ms(hits)}")

    # Interleaved blocks, so that load from other processes hits every case alike.
    plain: list[float] = []
    stored: list[float] = []
    repeated: list[float] = []
    block = max(1, trivial // 10)
    for b in range(10):
        round_trip(kc, "%braid cache off")
        plain += [round_trip(kc, f"x = {i}")[0] for i in range(block)]
        round_trip(kc, "%braid cache on")
        stored += [round_trip(kc, f"x = {(b + 1) * trivial + i}")[0] for i in range(block)]
        repeated += [round_trip(kc, "x = 1")[0] for _ in range(block)]
    print("trivial cells (x = i):")
    print(f"  cache off      {_ms(plain)}")
    print(f"  cache on, miss {_ms(stored)}   {_extra(stored, plain)}")
    print(f"  cache on, hit  {_ms(repeated)}   {_extra(repeated, plain)}")


if __name__ == "__main__":
    main()
