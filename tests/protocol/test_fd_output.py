"""Output written at the file-descriptor level reaches the notebook (issue 3, item 2).

C extensions, ``os.system`` and ``subprocess.run`` without capture write to fds 1
and 2.  Rule: to the running cell when one runs, to the last started cell when
several run, to the kernel log when none runs.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.protocol.kernel_client import RunningKernel, stream_text

pytestmark = pytest.mark.timeout(60)


def test_os_system_output_reaches_its_cell_before_the_reply(kernel: RunningKernel) -> None:
    done = kernel.run("import os\nos.system('echo from-the-shell; echo to-stderr 1>&2')")
    assert "from-the-shell" in done.stdout
    assert "to-stderr" in done.stderr


def test_subprocess_run_without_capture_is_shown(kernel: RunningKernel) -> None:
    done = kernel.run("import subprocess, sys\nsubprocess.run([sys.executable, '-c', 'print(41 + 1)'])")
    assert "42" in done.stdout


def test_subprocess_given_sys_stdout_writes_into_the_cell(kernel: RunningKernel) -> None:
    code = (
        "import subprocess, sys\n"
        "cmd = [sys.executable, '-c', 'import sys; print(6 * 7); print(\"err-line\", file=sys.stderr)']\n"
        "subprocess.run(cmd, stdout=sys.stdout, stderr=sys.stderr, check=True)"
    )
    done = kernel.run(code)
    assert done.status == "ok", done.describe()
    assert "42" in done.stdout and "err-line" in done.stderr


def test_faulthandler_can_be_enabled_and_dumps_into_the_cell(kernel: RunningKernel) -> None:
    done = kernel.run(
        "import faulthandler, sys\nfaulthandler.enable()\nfaulthandler.dump_traceback(sys.stderr)"
    )
    assert done.status == "ok", done.describe()
    assert "Current thread" in done.stderr or "Thread 0x" in done.stderr


def test_c_level_write_reaches_the_cell(kernel: RunningKernel) -> None:
    code = (
        "import ctypes\n"
        "libc = ctypes.CDLL(None)\n"
        "libc.printf(b'printf-from-c\\n')\n"
        "libc.write(1, b'raw-write\\n', 10)"
    )
    done = kernel.run(code)
    assert "printf-from-c" in done.stdout and "raw-write" in done.stdout


def test_fd_output_of_a_silent_cell_is_not_published(kernel: RunningKernel) -> None:
    msg_id = kernel.execute_request("import os; os.system('echo hush-hush')", silent=True)
    kernel.reply(msg_id)
    messages = kernel.iopub_until_idle(msg_id)
    assert "hush-hush" not in stream_text(messages)
    assert "hush-hush" not in kernel.run("pass").stdout


def test_fd_output_outside_any_cell_goes_to_the_kernel_log(kernel: RunningKernel) -> None:
    code = (
        "import subprocess, sys\n"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(1.0); print(\"late-orphan\")'])"
    )
    kernel.run(code)
    kernel.wait_for_log("late-orphan", timeout=15)
    assert "late-orphan" not in kernel.run("pass").stdout


def test_concurrent_cells_give_fd_output_to_the_last_started_cell(
    start_kernel: Callable[..., RunningKernel],
) -> None:
    k = start_kernel(kernel_name="braid-concurrent")
    k.run("import asyncio, os")
    first = k.execute_request("await asyncio.sleep(1.5)")
    k.iopub_settle(0.3)
    second = k.execute_request("os.system('echo while-two-run')\nawait asyncio.sleep(0.2)")
    k.reply(second)
    k.reply(first)
    assert "while-two-run" in stream_text(k.iopub_until_idle(second))
    assert "while-two-run" not in stream_text(k.iopub_until_idle(first))


def test_no_capture_fd_leaves_the_descriptors_alone(start_kernel: Callable[..., RunningKernel]) -> None:
    k = start_kernel(extra_arguments=["--no-capture-fd"])
    done = k.run("import os\nos.system('echo uncaptured-line')")
    assert "uncaptured-line" not in done.stdout
    k.wait_for_log("uncaptured-line", timeout=15)
