"""computed(): a thread's CPU clock tells a computing thread from a waiting one."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from braid_kernel.engine.cputime import computed, read

pytestmark = pytest.mark.skipif(not hasattr(time, "pthread_getcpuclockid"), reason="no per-thread CPU clock")


@contextmanager
def running(body: Callable[[threading.Event], None]) -> Iterator[int]:
    stop = threading.Event()
    thread = threading.Thread(target=body, args=(stop,))
    thread.start()
    try:
        assert thread.ident is not None
        yield thread.ident
    finally:
        stop.set()
        thread.join()


def spin(stop: threading.Event) -> None:
    while not stop.is_set():
        sum(range(1000))


def wait(stop: threading.Event) -> None:
    stop.wait()


def test_a_thread_in_a_loop_computed() -> None:
    with running(spin) as ident:
        since = read(ident)
        time.sleep(0.2)
        assert computed(ident, since) is True


def test_a_thread_that_waits_did_not() -> None:
    with running(wait) as ident:
        since = read(ident)
        time.sleep(0.2)
        assert computed(ident, since) is False


def test_without_a_first_reading_there_is_no_answer() -> None:
    with running(wait) as ident:
        assert computed(ident, None) is None
