"""Multi mode under load and in memory: one ``braid-multi`` kernel serving many notebooks.

**load** — ``--clients`` jupyter_client clients (20), each its own session, send ``--cells`` cells
(100) each, interleaved (cell *i* of every client before cell *i+1* of any), without waiting.
Cells print, await, print from a thread and show a value.  Checked (a failure exits non-zero):
every reply is ``ok`` with the session's own execution count (1..N per client, in order), every
line a cell prints arrives exactly once, parented to that cell's request (its client's session),
and nothing else is parented to it.  Prints the wall time.

**memory** — RSS (and USS) of one multi kernel after ``--sessions`` clients (100) each ran a cell
leaving a small namespace, against ``--ipykernels`` ipykernel processes (10) given the same cell:
their mean RSS times ``--sessions`` is what one process per notebook would cost.  Reports the
multi kernel's per-session overhead in MB and its total as a share of that.

Usage, from the repository root (kernelspecs go to a temp prefix; every kernel is shut down)::

    .venv/bin/python benchmarks/multi_bench.py [--clients 20 --cells 100] [--sessions 100 --ipykernels 10]
    .venv/bin/python benchmarks/multi_bench.py --only load|memory
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from queue import Empty
from typing import Any

import psutil
from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.manager import KernelManager

Msg = dict[str, Any]
TIMEOUT = 120.0
SMALL_NAMESPACE = "import math\ndata = list(range(1000))\ntext = 'x' * 1000\ntotal = math.fsum(data)"
LINE = re.compile(r"c(\d+)-(\d+)-(start|awaited|thread)")


def cell_code(client: int, i: int) -> str:
    return (
        "import asyncio, threading\n"
        f"print('c{client}-{i}-start')\n"
        f"await asyncio.sleep({(client * 7 + i) % 5} / 1000)\n"
        f"print('c{client}-{i}-awaited')\n"
        f"t = threading.Thread(target=print, args=('c{client}-{i}-thread',)); t.start(); t.join()\n"
        f"{i} * 2"
    )


def new_client(km: KernelManager) -> BlockingKernelClient:
    kc = BlockingKernelClient()
    kc.load_connection_info(km.get_connection_info())  # same kernel, a session id of its own
    kc.start_channels(hb=False)
    kc.wait_for_ready(timeout=TIMEOUT)
    return kc


def drain_iopub(kc: BlockingKernelClient, into: list[Msg], quiet: float = 0.5) -> None:
    """Read IOPub until nothing arrives for ``quiet`` seconds."""
    while True:
        try:
            into.append(kc.get_iopub_msg(timeout=quiet))
        except Empty:
            return


def read_iopub(kc: BlockingKernelClient, into: list[Msg], reading: threading.Event) -> None:
    while reading.is_set():
        try:
            into.append(kc.get_iopub_msg(timeout=0.1))
        except Empty:
            continue


def start(kernel_name: str) -> tuple[KernelManager, BlockingKernelClient]:
    km = KernelManager(kernel_name=kernel_name)
    km.start_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return km, new_client(km)


def stop(km: KernelManager, clients: list[BlockingKernelClient]) -> None:
    for kc in clients:
        kc.stop_channels()
    km.shutdown_kernel(now=False)


# ---------------------------------------------------------------- load


def load(n_clients: int, n_cells: int) -> bool:
    km, watcher = start("braid-multi")
    clients = [new_client(km) for _ in range(n_clients)]
    try:
        drain_iopub(watcher, [], 0.2)
        iopub: list[Msg] = []
        reading = threading.Event()
        reader = threading.Thread(target=read_iopub, args=(watcher, iopub, reading))
        reading.set()
        reader.start()  # a frontend reads IOPub all the time (its queue is bounded)
        began = time.perf_counter()
        owner: dict[str, tuple[int, int]] = {}  # msg_id -> (client, cell)
        for i in range(n_cells):
            for c, kc in enumerate(clients):
                owner[kc.execute(cell_code(c, i))] = (c, i)
        replies: dict[str, Msg] = {}
        for kc in clients:
            while len([m for m in replies if owner[m][0] == clients.index(kc)]) < n_cells:
                reply = kc.get_shell_msg(timeout=TIMEOUT)
                replies[reply["parent_header"]["msg_id"]] = reply
        elapsed = time.perf_counter() - began
        time.sleep(1)  # the last idle statuses
        reading.clear()
        reader.join()
    finally:
        stop(km, [watcher, *clients])
    problems = check_load(clients, owner, replies, iopub, n_cells)
    total = n_clients * n_cells
    print(f"load: {n_clients} clients x {n_cells} cells = {total} cells in {elapsed:.2f} s ", end="")
    print(f"({elapsed / total * 1000:.2f} ms per cell), {len(iopub)} IOPub messages")
    for problem in problems[:20]:
        print("  PROBLEM:", problem)
    print("load: every output once, in its own cell" if not problems else f"load: {len(problems)} problems")
    return not problems


def check_load(
    clients: list[BlockingKernelClient],
    owner: dict[str, tuple[int, int]],
    replies: dict[str, Msg],
    iopub: list[Msg],
    n_cells: int,
) -> list[str]:
    problems: list[str] = []
    sessions = {kc.session.session: c for c, kc in enumerate(clients)}
    for msg_id, (c, i) in owner.items():
        content = replies[msg_id]["content"]
        if content["status"] != "ok" or content["execution_count"] != i + 1:
            problems.append(
                f"client {c} cell {i}: {content.get('status')} count {content.get('execution_count')}"
            )
    seen: collections.Counter[tuple[int, int, str]] = collections.Counter()
    results: collections.Counter[str] = collections.Counter()
    text: dict[str, str] = collections.defaultdict(str)  # a cell's stdout, all its stream messages joined
    for msg in iopub:
        parent = msg["parent_header"].get("msg_id")
        if parent not in owner:
            continue
        c, i = owner[parent]
        if sessions.get(msg["parent_header"].get("session")) != c:
            problems.append(f"{msg['msg_type']} of client {c} cell {i} parented to another session")
        if msg["msg_type"] == "stream":
            text[parent] += msg["content"]["text"]
        elif msg["msg_type"] == "execute_result":
            results[parent] += 1
            if msg["content"]["data"]["text/plain"] != str(i * 2):
                problems.append(f"client {c} cell {i} result {msg['content']['data']}")
    for parent, printed in text.items():
        c, i = owner[parent]
        for line in printed.splitlines():
            found = LINE.fullmatch(line)
            if found is None or (int(found[1]), int(found[2])) != (c, i):
                problems.append(f"client {c} cell {i} got {line!r}")
            else:
                seen[(c, i, found[3])] += 1
    for c, i in owner.values():
        for part in ("start", "awaited", "thread"):
            if seen[(c, i, part)] != 1:
                problems.append(f"client {c} cell {i} {part}: printed {seen[(c, i, part)]} times")
    problems += [f"{owner[m]}: {n} results" for m, n in results.items() if n != 1]
    missing = len(owner) - len(results)
    if missing:
        problems.append(f"{missing} cells without an execute_result")
    del n_cells
    return problems


# ---------------------------------------------------------------- memory


def _memory(pid: int) -> tuple[float, float]:
    """(RSS, USS) of a process in MB."""
    info = psutil.Process(pid).memory_full_info()
    return info.rss / 2**20, info.uss / 2**20


def _run(kc: BlockingKernelClient, code: str) -> None:
    reply = kc.execute_interactive(code, timeout=TIMEOUT, output_hook=lambda msg: None)
    assert reply["content"]["status"] == "ok", reply["content"]


def memory(n_sessions: int, n_ipykernels: int) -> None:
    km, first = start("braid-multi")
    clients = [first]
    try:
        _run(first, SMALL_NAMESPACE)
        one = _memory(km.provisioner.process.pid)  # type: ignore[union-attr]
        for _ in range(n_sessions - 1):
            kc = new_client(km)
            clients.append(kc)
            _run(kc, SMALL_NAMESPACE)
        time.sleep(1)
        many = _memory(km.provisioner.process.pid)  # type: ignore[union-attr]
    finally:
        stop(km, clients)
    per_session = (many[0] - one[0]) / (n_sessions - 1)
    print(
        f"multi kernel: 1 session RSS {one[0]:.1f} MB (USS {one[1]:.1f}); {n_sessions} sessions RSS ", end=""
    )
    print(f"{many[0]:.1f} MB (USS {many[1]:.1f}); per extra session {per_session:.3f} MB")
    ipy = []
    for _ in range(n_ipykernels):
        ikm, ikc = start("python3")
        try:
            _run(ikc, SMALL_NAMESPACE)
            time.sleep(0.5)
            ipy.append(_memory(ikm.provisioner.process.pid))  # type: ignore[union-attr]
        finally:
            stop(ikm, [ikc])
    rss = statistics.mean(r for r, _ in ipy)
    uss = statistics.mean(u for _, u in ipy)
    print(f"ipykernel: mean RSS {rss:.1f} MB (USS {uss:.1f}) over {n_ipykernels} processes; ", end="")
    print(f"x {n_sessions} notebooks = {rss * n_sessions:.0f} MB RSS ({uss * n_sessions:.0f} MB USS)")
    print(f"multi / one process per notebook: {many[0] / (rss * n_sessions) * 100:.1f} % of RSS, ", end="")
    print(f"{many[1] / (uss * n_sessions) * 100:.1f} % of USS")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--cells", type=int, default=100)
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--ipykernels", type=int, default=10)
    parser.add_argument("--only", choices=("load", "memory"))
    args = parser.parse_args()
    ok = True
    with tempfile.TemporaryDirectory(prefix="braid-multi-bench-") as tmp:
        prefix = Path(tmp) / "prefix"
        for cmd in (
            [sys.executable, "-m", "braid_kernel", "install", "multi", "--prefix", str(prefix)],
            [sys.executable, "-m", "ipykernel", "install", "--prefix", str(prefix)],
        ):
            subprocess.run(cmd, check=True, capture_output=True)
        os.environ["JUPYTER_PATH"] = str(prefix / "share" / "jupyter")
        os.environ["JUPYTER_RUNTIME_DIR"] = str(Path(tmp) / "runtime")
        if args.only in (None, "load"):
            ok = load(args.clients, args.cells)
        if args.only in (None, "memory"):
            memory(args.sessions, args.ipykernels)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
