"""ThreadInterrupts: KeyboardInterrupt into a thread blocked in time.sleep or running a loop."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest

from braid_kernel.engine.threadinterrupt import ThreadInterrupts

WAIT = 10.0


@pytest.fixture
def interrupts() -> Iterator[ThreadInterrupts]:
    made = ThreadInterrupts()
    made.install()
    yield made
    made.uninstall()


Started = tuple[threading.Thread, list[BaseException]]


def _run(interrupts: ThreadInterrupts, body: Callable[[], None]) -> Started:
    caught: list[BaseException] = []
    started = threading.Event()

    def main() -> None:
        with interrupts.registered():
            started.set()
            try:
                body()
            except BaseException as exc:
                caught.append(exc)

    thread = threading.Thread(target=main, daemon=True)
    thread.start()
    assert started.wait(WAIT)
    return thread, caught


def test_install_replaces_time_sleep_and_uninstall_restores_it() -> None:
    original = time.sleep
    interrupts = ThreadInterrupts()
    interrupts.install()
    assert time.sleep is not original
    assert time.sleep.__wrapped__ is original  # type: ignore[attr-defined]  # a stand-in (engine.standin)
    interrupts.uninstall()
    assert time.sleep is original


def test_unregistered_threads_sleep_as_before(interrupts: ThreadInterrupts) -> None:
    time.sleep(0.01)
    with pytest.raises(ValueError):
        time.sleep(-1)
    with pytest.raises(TypeError):
        time.sleep("1")  # type: ignore[arg-type]


def test_interrupt_wakes_a_sleeping_registered_thread(interrupts: ThreadInterrupts) -> None:
    thread, caught = _run(interrupts, lambda: time.sleep(60))
    deadline = time.monotonic() + WAIT
    while not interrupts.interrupt(thread, "stop now") and time.monotonic() < deadline:
        time.sleep(0.01)
    thread.join(WAIT)
    assert not thread.is_alive()
    assert len(caught) == 1 and isinstance(caught[0], KeyboardInterrupt)
    assert str(caught[0]) == "stop now"


def test_interrupt_stops_a_busy_loop(interrupts: ThreadInterrupts) -> None:
    def spin() -> None:
        while True:
            pass

    thread, caught = _run(interrupts, spin)
    assert interrupts.interrupt(thread)
    thread.join(WAIT)
    assert not thread.is_alive()
    assert len(caught) == 1 and isinstance(caught[0], KeyboardInterrupt)


def test_a_busy_loop_gets_the_reason_too(interrupts: ThreadInterrupts) -> None:
    def spin() -> None:
        while True:
            pass

    thread, caught = _run(interrupts, spin)
    assert interrupts.interrupt(thread, "the subshell was deleted")
    thread.join(WAIT)
    assert len(caught) == 1 and isinstance(caught[0], KeyboardInterrupt)
    assert type(caught[0]).__name__ == "KeyboardInterrupt"
    assert str(caught[0]) == "the subshell was deleted"


def test_a_registered_sleep_that_is_not_interrupted_returns(interrupts: ThreadInterrupts) -> None:
    thread, caught = _run(interrupts, lambda: time.sleep(0.05))
    thread.join(WAIT)
    assert caught == []


def test_unregistered_thread_is_not_interrupted(interrupts: ThreadInterrupts) -> None:
    assert interrupts.interrupt(threading.current_thread()) is False
