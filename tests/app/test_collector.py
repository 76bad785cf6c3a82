"""The garbage collector paused while a kernel process starts (braid_kernel.app.collector)."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from braid_kernel.app.collector import StartupCollector


@pytest.fixture(autouse=True)
def collector_restored() -> Iterator[None]:
    """Each test leaves the collector as it found it (running, under pytest)."""
    was_enabled = gc.isenabled()
    try:
        yield
    finally:
        gc.unfreeze()
        if was_enabled:
            gc.enable()
        else:
            gc.disable()


class Node:
    def __init__(self) -> None:
        self.other: object = self


def test_pause_stops_the_collector_and_resume_starts_it_again() -> None:
    collector = StartupCollector.pause()
    assert not gc.isenabled() and collector.paused
    collector.resume()
    assert gc.isenabled() and not collector.paused


def test_what_was_made_while_paused_is_in_the_oldest_generation_visible_and_collectable() -> None:
    collector = StartupCollector.pause()
    kept = Node()
    garbage = Node()
    freed = weakref.ref(garbage)
    del garbage  # a cycle: only the collector frees it
    collector.resume()
    assert freed() is not None
    assert gc.get_freeze_count() == 0  # nothing stays frozen
    assert gc.get_count()[0] < 700, "the young generation was emptied into the oldest"
    assert any(o is kept for o in gc.get_objects(generation=2))
    assert any(r is kept for r in gc.get_referrers(kept.__dict__))
    gc.collect()
    assert freed() is None


def test_resume_acts_once() -> None:
    collector = StartupCollector.pause()
    collector.resume()
    gc.disable()  # someone's choice after the start
    collector.resume()
    assert not gc.isenabled()


def test_a_collector_that_was_off_before_the_start_stays_off() -> None:
    gc.disable()
    collector = StartupCollector.pause()
    assert not collector.paused
    collector.resume()
    assert not gc.isenabled()
