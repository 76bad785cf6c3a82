"""A virtual X display for the GUI-loop tests: Xvfb on a free display number, stopped afterwards."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest


@contextmanager
def xvfb_display() -> Iterator[str]:
    """Start Xvfb on a display number it picks itself (``-displayfd``); yields ``":N"``.

    Skips the test when Xvfb is not installed (``python3 dev.py test`` installs it on Debian).
    """
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.skip("Xvfb is not installed (Debian: apt-get install xvfb; dev.py installs it as root)")
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        [xvfb, "-displayfd", str(write_fd), "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    os.close(write_fd)
    try:
        number = _read_display_number(read_fd, proc)
        yield f":{number}"
    finally:
        os.close(read_fd)
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _read_display_number(fd: int, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> int:
    deadline = time.monotonic() + timeout
    text = b""
    os.set_blocking(fd, False)
    while not text.endswith(b"\n"):
        if proc.poll() is not None:
            pytest.fail(f"Xvfb exited with code {proc.returncode} before choosing a display")
        if time.monotonic() > deadline:
            pytest.fail("Xvfb chose no display within 30 s")
        try:
            text += os.read(fd, 64)
        except BlockingIOError:
            time.sleep(0.05)
    return int(text.strip())
