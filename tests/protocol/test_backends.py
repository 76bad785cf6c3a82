"""Choosing the event loop at startup: uvloop under asyncio, and clear failures for what is missing
(uvloop, Tk, PySide6, a display)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.protocol.kernel_client import RunningKernel

pytestmark = pytest.mark.timeout(60)


def start_failure(
    tmp_path: Path, args: list[str], blocked: tuple[str, ...] = (), unset: tuple[str, ...] = (), **env: str
) -> str:
    """Run ``braid-kernel start ARGS`` with the ``blocked`` packages unimportable and the ``unset``
    environment variables removed; its stderr.

    The kernel must refuse to start: exit code 2 and a message.  A connection file is given (the
    GUI loop is checked as the kernel is built, after its sockets are bound).
    """
    from jupyter_client.connect import write_connection_file

    connection = tmp_path / "kernel.json"
    if not connection.exists():
        write_connection_file(str(connection), key=b"test-key")
    for name in blocked:
        package = tmp_path / "blocked" / name
        package.mkdir(parents=True)
        (package / "__init__.py").write_text(f"raise ImportError('{name} is blocked by the test')\n")
    child_env = {**os.environ, **env, "PYTHONPATH": str(tmp_path / "blocked")}
    for name in unset:
        child_env.pop(name, None)
    done = subprocess.run(
        [sys.executable, "-m", "braid_kernel", "start", *args, "-f", str(connection)],
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


def test_tk_loop_without_tkinter_names_what_to_install(tmp_path: Path) -> None:
    stderr = start_failure(tmp_path, ["--loop", "tk"], blocked=("tkinter",), DISPLAY=":0")
    assert "--loop tk needs Tk support" in stderr and "apt install python3-tk" in stderr, stderr


def test_tk_loop_without_a_display_names_what_to_set(tmp_path: Path) -> None:
    stderr = start_failure(tmp_path, ["--loop", "tk"], unset=("DISPLAY",))
    assert "DISPLAY is not set" in stderr and "Xvfb" in stderr, stderr


def test_qt_loop_without_pyside6_names_the_extra(tmp_path: Path) -> None:
    stderr = start_failure(tmp_path, ["--loop", "qt"], blocked=("PySide6",), QT_QPA_PLATFORM="offscreen")
    assert "pip install 'braid-kernel[qt]'" in stderr, stderr


def test_qt_loop_without_a_display_names_what_to_set(tmp_path: Path) -> None:
    pytest.importorskip("PySide6")
    stderr = start_failure(
        tmp_path, ["--loop", "qt"], unset=("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    )
    assert "QT_QPA_PLATFORM=offscreen" in stderr and "set DISPLAY" in stderr, stderr


def test_uvloop_under_a_gui_loop_is_refused(tmp_path: Path) -> None:
    stderr = start_failure(tmp_path, ["--uvloop", "--loop", "tk"])
    assert "uvloop cannot run as the guest of a GUI loop" in stderr, stderr


def test_tk_loop_with_an_unreachable_display_exits_with_a_message(tmp_path: Path) -> None:
    """Tk itself refuses the display: the kernel exits (code 2) with the reason, it does not hang."""
    pytest.importorskip("tkinter")
    stderr = start_failure(tmp_path, ["--loop", "tk"], DISPLAY=":9876")
    assert "could not open a Tk window" in stderr and ":9876" in stderr, stderr


def test_gui_magics_on_a_kernel_without_a_gui_loop(kernel: RunningKernel) -> None:
    assert "No GUI event loop runs in this kernel" in kernel.run("%gui").stdout
    refused = kernel.execute("%matplotlib tk")
    assert refused.status == "error", refused.describe()
    assert "braid-kernel install --loop tk" in refused.content["evalue"]
    assert kernel.run("%matplotlib inline").status == "ok"
