"""Freed memory goes back to the system after a drop: at once, then at most once per interval."""

from __future__ import annotations

import platform
import sys

import pytest

from braid_kernel.transport.heap import HeapTrimmer, glibc_malloc_trim


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Trims:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> None:
        self.count += 1


def test_the_first_drop_trims_at_once() -> None:
    trims = Trims()
    HeapTrimmer(trims, interval=1.0, clock=Clock()).request()
    assert trims.count == 1


def test_drops_within_the_interval_make_one_trim_when_it_ends() -> None:
    clock, trims = Clock(), Trims()
    heap = HeapTrimmer(trims, interval=1.0, clock=clock)
    heap.request()
    clock.now += 0.25
    for _ in range(1000):
        heap.request()
    assert trims.count == 1
    assert heap.due == pytest.approx(1001.0)
    assert heap.run_due() == 750  # ms until it is due: the poll waits no longer
    clock.now = 1001.0
    assert heap.run_due() is None
    assert trims.count == 2 and heap.due is None
    assert heap.run_due() is None and trims.count == 2  # nothing more was asked


def test_a_drop_after_the_interval_trims_at_once_again() -> None:
    clock, trims = Clock(), Trims()
    heap = HeapTrimmer(trims, interval=1.0, clock=clock)
    heap.request()
    clock.now += 5
    heap.request()
    assert trims.count == 2 and heap.due is None


def test_a_failing_trim_does_not_break_the_caller() -> None:
    def broken() -> None:
        raise RuntimeError("no")

    HeapTrimmer(broken, clock=Clock()).request()


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc", reason="glibc only"
)
def test_on_glibc_the_trim_is_malloc_trim() -> None:
    trim = glibc_malloc_trim()
    assert trim is not None
    assert trim() in (0, 1)  # 1: memory was released


def test_a_burst_of_traffic_trims_once_a_quiet_moment_follows() -> None:
    clock, trims = Clock(), Trims()
    heap = HeapTrimmer(trims, interval=1.0, clock=clock, burst=100, quiet=0.1)
    heap.traffic(99)
    assert heap.due is None  # not a burst yet
    heap.traffic(1)
    assert heap.run_due() in (100, 101)  # ms until the quiet moment (rounded up)
    clock.now += 0.05
    heap.traffic(1)  # still flowing: the quiet moment moves
    clock.now += 0.08
    assert heap.run_due() in (20, 21)
    assert trims.count == 0
    clock.now += 0.02
    assert heap.run_due() is None
    assert trims.count == 1
    assert heap.due is None
    heap.traffic(99)  # the count starts again after a trim
    assert heap.due is None


def test_a_burst_right_after_a_trim_waits_for_the_interval() -> None:
    clock, trims = Clock(), Trims()
    heap = HeapTrimmer(trims, interval=1.0, clock=clock, burst=10, quiet=0.1)
    heap.request()  # a drop: trimmed at once
    heap.traffic(10)
    assert heap.run_due() in (1000, 1001)  # the interval, not the quiet moment, decides
    clock.now += 1.0
    heap.run_due()
    assert trims.count == 2


def test_a_drop_waiting_for_the_interval_is_not_postponed_by_traffic() -> None:
    clock, trims = Clock(), Trims()
    heap = HeapTrimmer(trims, interval=1.0, clock=clock, burst=10, quiet=0.1)
    heap.request()
    clock.now += 0.5
    heap.request()  # due at the interval's end
    for _ in range(20):  # traffic keeps flowing past it
        clock.now += 0.05
        heap.traffic(10)
        heap.run_due()
    assert trims.count == 2
