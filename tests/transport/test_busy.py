"""BusyWatch: the I/O thread tells, from the status messages it sends, when the kernel is busy long."""

from __future__ import annotations

from braid_kernel.transport.busy import BusyWatch
from braid_kernel.transport.outbox import Item, Outgoing
from braid_kernel.wire.channels import Channel


class Clock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


def status(state: str) -> Outgoing:
    return Outgoing(Channel.IOPUB, "status", {"execution_state": state})


def watch(clock: Clock) -> tuple[BusyWatch[float], list[str]]:
    """A watch whose mark is the clock's time when a busy period begins; it records that."""
    calls: list[str] = []
    return BusyWatch(0.25, lambda began: calls.append(f"long since {began}"), clock, clock), calls


def test_an_idle_kernel_is_not_watched() -> None:
    clock = Clock()
    busy, calls = watch(clock)
    assert busy.look() is None
    busy.saw([status("busy"), Outgoing(Channel.SHELL, "execute_reply", {}), status("idle")])
    clock.now += 10
    assert busy.look() is None
    assert calls == []


def test_a_long_busy_period_runs_the_action_once() -> None:
    clock = Clock()
    busy, calls = watch(clock)
    stream: Item = ({}, "stdout", "text")
    busy.saw([status("busy"), stream])
    assert busy.look() == 250  # ms: the poll's timeout
    clock.now += 0.25
    assert busy.look() is None
    assert calls == ["long since 50.0"]
    assert busy.done
    busy.saw([status("idle"), status("busy")])
    clock.now += 10
    assert busy.look() is None
    assert calls == ["long since 50.0"]


def test_overlapping_requests_make_one_busy_period() -> None:
    clock = Clock()
    busy, calls = watch(clock)
    busy.saw([status("busy")])  # a cell
    clock.now += 0.2
    busy.saw([status("busy"), status("idle")])  # a completion while it runs
    assert busy.look() in (50, 51)  # still measured from the cell's start
    clock.now += 0.05
    busy.look()
    assert calls == ["long since 50.0"]


def test_short_requests_never_add_up() -> None:
    clock = Clock()
    busy, calls = watch(clock)
    for _ in range(100):
        busy.saw([status("busy")])
        clock.now += 0.2
        busy.look()
        busy.saw([status("idle")])
    assert calls == []
