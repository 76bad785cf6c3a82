"""ParentWatch: the kernel stops when the process that launched it dies."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest

from braid_kernel.app.parent import ENV_VAR, ParentWatch

WAIT = 10.0


def _sleeper() -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])


@pytest.mark.parametrize("pidfd", [True, False], ids=["pidfd", "polling"])
def test_on_gone_is_called_once_the_process_exits(monkeypatch: pytest.MonkeyPatch, pidfd: bool) -> None:
    if not pidfd:
        monkeypatch.delattr(os, "pidfd_open", raising=False)
    elif not hasattr(os, "pidfd_open"):
        pytest.skip("no pidfds on this platform")
    child = _sleeper()
    gone = threading.Event()
    try:
        watch = ParentWatch(child.pid, gone.set, alive=lambda: child.poll() is None, poll_interval=0.05)
        watch.start()
        assert not gone.wait(0.3), "called while the process still runs"
        child.kill()
        assert gone.wait(WAIT), "the exit went unnoticed"
    finally:
        child.kill()
        child.wait()


def test_a_process_already_gone_is_noticed_at_once() -> None:
    child = _sleeper()
    child.kill()
    child.wait()
    gone = threading.Event()
    ParentWatch(child.pid, gone.set, alive=lambda: False).start()
    assert gone.wait(WAIT)


def test_from_environment_watches_only_the_real_parent() -> None:
    def nothing() -> None:
        pass

    assert ParentWatch.from_environment({}, nothing) is None
    assert ParentWatch.from_environment({ENV_VAR: "not-a-pid"}, nothing) is None
    assert ParentWatch.from_environment({ENV_VAR: str(os.getpid())}, nothing) is None  # not our parent
    watch = ParentWatch.from_environment({ENV_VAR: str(os.getppid())}, nothing)
    assert watch is not None and watch.pid == os.getppid()
