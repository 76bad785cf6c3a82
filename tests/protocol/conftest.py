"""Fixtures for the protocol tests: real kernel processes, started the way frontends start them.

One session fixture (used by every test here) installs the ``braid``, ``braid-concurrent``,
``braid-cache`` and ``braid-cache-concurrent`` kernelspecs and the trio twins of the first two
(``braid-trio``, ``braid-concurrent-trio``) into a temporary prefix with the project's own CLI and
points jupyter_client at it (and cache mode at a temporary cache directory),
gives the kernels a private runtime dir (connection files) and IPython dir, and at the end checks
that no kernel process started by this test process survives.  Everything lives under pytest's
per-process temp dir, so xdist workers never share files.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest

from tests.protocol.kernel_client import STARTED_PIDS, RunningKernel


@dataclass(frozen=True)
class BraidEnv:
    prefix: Path
    runtime_dir: Path
    log_dir: Path

    def new_log(self) -> Path:
        return self.log_dir / f"kernel-{uuid.uuid4().hex[:8]}.log"


def _install(prefix: Path, *modes: str) -> None:
    cmd = [sys.executable, "-m", "braid_kernel", "install", *modes, "--prefix", str(prefix)]
    subprocess.run(cmd, check=True, capture_output=True, timeout=60)


def _survivors(runtime_dir: Path) -> list[psutil.Process]:
    """Live kernel processes started by this test process.

    A kernel we started is one of our recorded pids whose command line names its connection file in
    our private runtime dir; both are required, so a recycled pid is never mistaken for ours.
    """
    found = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        try:
            cmdline = " ".join(proc.info["cmdline"] or [])
            ours = proc.pid in STARTED_PIDS and str(runtime_dir) in cmdline
            if ours and proc.status() != psutil.STATUS_ZOMBIE:
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


@pytest.fixture(scope="session", autouse=True)
def braid_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BraidEnv]:
    base = tmp_path_factory.mktemp("braid-protocol")
    env = BraidEnv(base / "prefix", base / "runtime", base / "logs")
    for path in (env.runtime_dir, env.log_dir, base / "ipython"):
        path.mkdir()
    saved = dict(os.environ)
    # Before any jupyter_client use: kernelspecs from our prefix, connection files in a private dir.
    os.environ["JUPYTER_PATH"] = str(env.prefix / "share" / "jupyter")
    os.environ["JUPYTER_RUNTIME_DIR"] = str(env.runtime_dir)
    os.environ["IPYTHONDIR"] = str(base / "ipython")
    os.environ.pop("MPLBACKEND", None)  # the kernel chooses the default matplotlib backend
    os.environ["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    os.environ["BRAID_CACHE_DIR"] = str(base / "cache")  # cache mode never writes to ~/.cache
    os.environ["BRAID_CACHE_SECRET_FILE"] = str(base / "data" / "cache-secret")  # nor to ~/.local
    _install(env.prefix)
    _install(env.prefix, "concurrent")
    _install(env.prefix, "cache")
    _install(env.prefix, "cache-concurrent")
    _install(env.prefix, "react")
    _install(env.prefix, "react-concurrent")
    _install(env.prefix, "react", "--lazy")
    _install(env.prefix, "multi")
    _install(env.prefix, "--backend", "trio")
    _install(env.prefix, "concurrent", "--backend", "trio")
    yield env
    os.environ.clear()
    os.environ.update(saved)
    deadline = time.monotonic() + 5
    while (leaked := _survivors(env.runtime_dir)) and time.monotonic() < deadline:
        time.sleep(0.1)
    for proc in leaked:
        proc.kill()  # one this test process started: a recorded pid running from our runtime dir
    if leaked:
        pytest.fail(f"kernel processes survived the test session: {[p.pid for p in leaked]}")


@pytest.fixture(scope="module")
def kernel(braid_env: BraidEnv) -> Iterator[RunningKernel]:
    """A braid kernel shared by the tests of one module (for tests that do not disturb it)."""
    k = RunningKernel(braid_env.new_log())
    try:
        k.wait_for_iopub()
        yield k
    finally:
        _close_and_show_log(k)


@pytest.fixture
def start_kernel(braid_env: BraidEnv) -> Iterator[Callable[..., RunningKernel]]:
    """Start kernels for one test (``RunningKernel`` arguments); all are shut down afterwards."""
    started: list[RunningKernel] = []

    def start(**kwargs: Any) -> RunningKernel:
        k = RunningKernel(braid_env.new_log(), **kwargs)
        started.append(k)
        k.wait_for_iopub()
        return k

    yield start
    with contextlib.ExitStack() as stack:  # close every kernel even if closing one fails
        for k in started:
            stack.callback(_close_and_show_log, k)


def _close_and_show_log(k: RunningKernel) -> None:
    k.close()
    print(f"---- kernel log {k.log_path.name} ----\n{k.log_text()[-4000:]}")


@pytest.fixture
def fresh_kernel(start_kernel: Callable[..., RunningKernel]) -> RunningKernel:
    """A braid kernel of its own, for tests that interrupt, shut down or feed it bad input."""
    return start_kernel()
