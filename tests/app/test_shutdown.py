"""Shutdown: the kernel's end, asked for once from any thread."""

from __future__ import annotations

import threading

from braid_kernel.app.shutdown import EXIT_THREAD_FAILED, Shutdown

WAIT = 10.0


def test_a_request_stops_what_serves_and_only_once() -> None:
    shutdown = Shutdown()
    stopped: list[str] = []
    with shutdown.stops(lambda: stopped.append("main")):
        shutdown.request()
        shutdown.request()
    assert stopped == ["main"]
    assert shutdown.requested


def test_a_shell_that_starts_serving_after_the_request_is_stopped_at_once() -> None:
    """A shutdown asked for during startup (the launcher died) is not lost."""
    shutdown = Shutdown()
    shutdown.request()
    stopped: list[str] = []
    with shutdown.stops(lambda: stopped.append("main")):
        assert stopped == ["main"]


def test_a_shell_that_stopped_serving_is_not_called() -> None:
    shutdown = Shutdown()
    stopped: list[str] = []
    with shutdown.stops(lambda: stopped.append("main")):
        pass
    shutdown.request()
    assert stopped == []


def test_a_kernel_process_exits_with_the_status_after_the_grace_period() -> None:
    exited: list[int] = []
    done = threading.Event()

    def force_exit(status: int) -> None:
        exited.append(status)
        done.set()

    shutdown = Shutdown(grace=0.0, force_exit=force_exit)
    shutdown.fail("the I/O thread failed 5 times")
    assert done.wait(WAIT)
    assert exited == [EXIT_THREAD_FAILED]
    assert shutdown.status == EXIT_THREAD_FAILED


def test_an_in_process_kernel_never_forces_an_exit() -> None:
    shutdown = Shutdown()  # no force_exit: nothing to time out
    shutdown.request()
    assert shutdown.status == 0
