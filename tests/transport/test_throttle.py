"""Log lines a peer can trigger are bounded per period, and the suppressed ones are counted."""

from __future__ import annotations

import logging

import pytest

from braid_kernel.transport.throttle import ThrottledLog


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_flood_logs_a_bounded_number_of_lines_then_the_count(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    throttled = ThrottledLog(logging.getLogger("test.throttle"), burst=3, period=60, clock=clock)
    with caplog.at_level(logging.WARNING, "test.throttle"):
        for i in range(1000):
            throttled.warning("rejected %d", i)
        assert [r.getMessage() for r in caplog.records] == [
            "rejected 0",
            "rejected 1",
            "rejected 2",
            "more than 3 such lines in 60s: further ones are suppressed and counted",
        ]
        caplog.clear()
        clock.now += 60
        throttled.warning("rejected %d", 1000)
        assert [r.getMessage() for r in caplog.records] == [
            "rejected 1000 (997 similar lines suppressed before this one)"
        ]


def test_lines_spread_over_time_are_all_logged(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    throttled = ThrottledLog(logging.getLogger("test.throttle"), burst=2, period=10, clock=clock)
    with caplog.at_level(logging.WARNING, "test.throttle"):
        for i in range(5):
            throttled.warning("line %d", i)
            clock.now += 5
        assert [r.getMessage() for r in caplog.records] == [f"line {i}" for i in range(5)]
