"""Cache mode with a big input: what hashing a 100 MB DataFrame costs against running the cell.

Starts a ``braid`` kernel (this checkout's code, on the interpreter given with ``--python``, which
needs pandas; its cache in a temp dir), defines ``df`` (``--mb`` megabytes of float64 in 10
columns, in a cell the cache leaves alone), and times execute_request → execute_reply of cells
that read ``df``:

* **cheap** — ``df["c0"].sum()``: almost all of a hit or a miss is the input's fingerprint;
* **costly** — ``df.describe()`` on every column and a sort of one column.

Each with cache mode off, on a miss (the store emptied first) and on a hit; and the same cells on
ipykernel (``--ipykernel``), where every run is a run.  Every kernel is shut down at the end.

Usage: ``python benchmarks/cache_dataframe.py --python /work/diffvenv/bin/python [--mb 100]
[--rounds 3] [--ipykernel]`` from the repository root.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from cache_timing import median_ms, off_miss_hit, round_trip
from jupyter_client import KernelManager
from jupyter_client.kernelspec import KernelSpec

ROOT = Path(__file__).resolve().parents[1]

MAKE = (
    "# braid: nocache\n"
    "import numpy as np, pandas as pd\n"
    "data = np.random.default_rng(0).random(({rows}, 10))\n"
    "df = pd.DataFrame(data, columns=[f'c{{i}}' for i in range(10)])\n"
    "del data\n"
    "print(round(df.memory_usage(deep=True).sum() / 2**20), 'MB')"
)
CELLS = {
    "cheap": "total = float(df['c0'].sum())\nprint(round(total))",
    "costly": "summary = df.describe()\nranked = df['c1'].sort_values().to_numpy()[:5]\nprint(summary.shape)",
}


def start(argv: list[str], env: dict[str, str]) -> tuple[KernelManager, Any]:
    km = KernelManager()
    km._kernel_spec = KernelSpec(argv=argv, env=env, display_name="k", language="python")
    km.start_kernel(stderr=open(os.devnull, "w"))  # noqa: SIM115 (the kernel process holds it)
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=120)
    return km, kc


def ms(values: list[float]) -> str:
    return f"{median_ms(values):9.1f} ms"


def braid(python: str, rows: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory(prefix="braid-cache-df-") as tmp:
        env = {"PYTHONPATH": str(ROOT / "src"), "BRAID_CACHE_DIR": str(Path(tmp) / "cache")}
        km, kc = start([python, "-m", "braid_kernel", "start", "-f", "{connection_file}"], env)
        try:
            round_trip(kc, MAKE.format(rows=rows))
            for name, code in CELLS.items():
                off, misses, hits = off_miss_hit(kc, code, rounds)
                print(f"braid, {name} cell: off {ms(off)}   miss {ms(misses)}   hit {ms(hits)}")
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=False)


def ipykernel(python: str, rows: int, rounds: int) -> None:
    km, kc = start([python, "-m", "ipykernel_launcher", "-f", "{connection_file}"], {})
    try:
        round_trip(kc, MAKE.format(rows=rows))
        for name, code in CELLS.items():
            runs = [round_trip(kc, code)[0] for _ in range(rounds)]
            print(f"ipykernel, {name} cell: run {ms(runs)}")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default=sys.executable, help="interpreter with pandas for the kernels")
    parser.add_argument("--mb", type=int, default=100, help="size of the DataFrame")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--ipykernel", action="store_true", help="also time the cells on ipykernel")
    args = parser.parse_args()
    rows = args.mb * 2**20 // 80  # 10 float64 columns
    braid(args.python, rows, args.rounds)
    if args.ipykernel:
        ipykernel(args.python, rows, args.rounds)


if __name__ == "__main__":
    main()
