"""How :class:`~braid_kernel.engine.interrupt.Interrupter` delivers an interrupt to the main
thread: one SIGINT per interrupt, then only wake-up signals until the handler has run.

Re-sending SIGINT itself (as the kernel once did) made each late copy a second interrupt unless it
arrived within a time window; on a loaded machine a copy handled after the window raised
KeyboardInterrupt into the next cell (tests/protocol/test_interrupt_intent.py saw it)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from typing import cast

import pytest

from braid_kernel.engine import interrupt
from braid_kernel.engine.cellfiles import CellFiles
from braid_kernel.engine.interrupt import WAKE_SIGNAL, Interrupter
from braid_kernel.routing.loopbridge import LoopBridge


@pytest.fixture
def interrupter() -> Iterator[Interrupter]:
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, WAKE_SIGNAL)}
    made = Interrupter(CellFiles())
    made.install()
    yield made
    for sig, handler in previous.items():
        signal.signal(sig, handler)


def _interrupt_from_a_thread(interrupter: Interrupter) -> None:
    thread = threading.Thread(target=interrupter.interrupt)
    thread.start()
    thread.join()


def test_an_unacknowledged_interrupt_sends_sigint_once_then_wake_ups(
    interrupter: Interrupter, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[int] = []
    monkeypatch.setattr(interrupt, "RESEND_FOR", 0.3)
    monkeypatch.setattr(signal, "pthread_kill", lambda ident, sig: sent.append(sig))
    _interrupt_from_a_thread(interrupter)  # the signals are recorded, not sent: never acknowledged
    assert sent[0] == signal.SIGINT
    assert len(sent) > 2 and set(sent[1:]) == {WAKE_SIGNAL}


def test_the_handler_runs_once_per_interrupt_and_the_wake_up_does_nothing(
    interrupter: Interrupter,
) -> None:
    handled: list[float] = []
    # the main thread runs no cell: each interrupt cancels (records) once
    interrupter.attach(cast(LoopBridge, _Bridge()), handled.append)
    for _ in range(3):
        _interrupt_from_a_thread(interrupter)
    signal.pthread_kill(threading.main_thread().ident or 0, WAKE_SIGNAL)
    assert len(handled) == 3


def test_a_sigint_that_waits_behind_a_masked_main_thread_is_one_interrupt(
    interrupter: Interrupter, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The main thread cannot take the signal for a while (as when it is not scheduled): the
    handler runs once when it can, and the interrupt's wait has ended by then without a copy."""
    handled: list[float] = []
    interrupter.attach(cast(LoopBridge, _Bridge()), handled.append)
    monkeypatch.setattr(interrupt, "RESEND_FOR", 0.3)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        _interrupt_from_a_thread(interrupter)
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    assert len(handled) == 1


class _Bridge:
    """Runs what the handler schedules at once (the handler runs on the main thread)."""

    def call_soon(self, fn: Callable[[], object]) -> None:
        fn()
