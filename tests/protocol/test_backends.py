"""Choosing the event loop at startup: uvloop under asyncio, and clear failures for what is missing."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.protocol.kernel_client import RunningKernel

pytestmark = pytest.mark.timeout(60)


def start_failure(tmp_path: Path, args: list[str], blocked: tuple[str, ...] = (), **env: str) -> str:
    """Run ``braid-kernel start ARGS`` with the ``blocked`` packages unimportable; its stderr.

    The kernel must refuse to start: exit code 2 and a message, before it needs a connection file.
    """
    for name in blocked:
        package = tmp_path / "blocked" / name
        package.mkdir(parents=True)
        (package / "__init__.py").write_text(f"raise ImportError('{name} is blocked by the test')\n")
    child_env = {**os.environ, **env, "PYTHONPATH": str(tmp_path / "blocked")}
    done = subprocess.run(
        [sys.executable, "-m", "braid_kernel", "start", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=child_env,
        check=False,
    )
    assert done.returncode == 2, f"exit {done.returncode}; stderr:\n{done.stderr}"
    return done.stderr


def test_uvloop_kernel_runs_cells_on_uvloop(start_kernel: Callable[..., RunningKernel]) -> None:
    pytest.importorskip("uvloop")
    k = start_kernel(extra_arguments=["--uvloop"])
    done = k.run("import asyncio\nawait asyncio.sleep(0.01)\ntype(asyncio.get_running_loop()).__module__")
    assert done.result.startswith("'uvloop")


def test_uvloop_missing_fails_at_startup_naming_pip_install(tmp_path: Path) -> None:
    stderr = start_failure(tmp_path, ["--uvloop"], blocked=("uvloop",))
    assert "pip install uvloop" in stderr, stderr


def test_uvloop_with_trio_is_refused(tmp_path: Path) -> None:
    stderr = start_failure(tmp_path, ["--uvloop", "--backend", "trio"])
    assert "uvloop only applies to the asyncio backend" in stderr, stderr
