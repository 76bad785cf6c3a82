"""Multi mode's bookkeeping without a kernel: the session table, activity, the main-thread
sampler and the memory estimate."""

from __future__ import annotations

import sys
import threading
from types import FrameType
from typing import Any

from braid_kernel.features.multi.engine import (
    Activity,
    MainThreadSampler,
    SessionTable,
    estimate_size,
    idle_longer_than,
)


class Fake:
    """A session stand-in: the table accepts any object."""

    def __init__(self, label: str) -> None:
        self.label = label


def test_clients_get_their_session_and_attach_rebinds_a_client() -> None:
    table: SessionTable[Fake] = SessionTable()
    a, b = Fake("a"), Fake("b")
    table.add("client-a", a)
    table.add("client-b", b)
    assert table.get("client-a") is a and table.get("nobody") is None
    assert table.bind("client-b", a) is b  # attach: b's client now runs in a
    assert table.get("client-b") is a
    assert table.clients(a) == ["client-a", "client-b"] and table.clients(b) == []
    assert table.bind("client-b", a) is None  # already there
    assert table.sessions() == [a, b]  # b lives on until freed


def test_a_name_belongs_to_one_session_and_goes_with_it() -> None:
    table: SessionTable[Fake] = SessionTable()
    a, b = Fake("a"), Fake("b")
    table.add("ca", a)
    table.add("cb", b)
    assert table.set_name(a, "nb") is None
    assert table.set_name(b, "nb") is a  # taken: nothing changes
    assert table.named("nb") is a and table.name_of(b) is None
    assert table.set_name(a, "renamed") is None
    assert table.named("nb") is None and table.name_of(a) == "renamed"
    table.remove(a)
    assert table.named("renamed") is None and table.get("ca") is None and len(table) == 1


def test_activity_is_idle_only_between_requests() -> None:
    activity = Activity.starting(100.0)
    activity.begin(101.0)
    assert activity.idle_for(500.0) == 0.0  # a request (a long cell) runs
    activity.end(110.0)
    assert activity.idle_for(115.0) == 5.0
    sessions = {
        "busy": Activity.starting(0.0),
        "idle": Activity.starting(0.0),
        "fresh": Activity.starting(19.0),
    }
    sessions["busy"].begin(0.0)
    assert idle_longer_than(sessions, 10.0, 20.0) == ["idle"]


def _cell_frame(namespace: dict[str, Any], filename: str) -> FrameType:
    """A frame of a cell's top-level code running in ``namespace``."""
    exec(compile("frame = sys._getframe()", filename, "exec"), namespace)
    frame: FrameType = namespace["frame"]
    return frame


def test_sampler_charges_main_thread_time_to_the_session_whose_cell_holds_it() -> None:
    mine: dict[str, Any] = {"sys": sys}
    activity = Activity.starting(0.0)
    frame = _cell_frame(mine, "<cell-1>")
    owners = {id(mine): (activity, "mine")}
    sampler = MainThreadSampler(lambda ns: owners.get(id(ns)), lambda name: name.startswith("<cell"))
    sampler.sample(frame, 0.1, 10.0)
    sampler.sample(frame, 0.1, 10.1)
    assert round(activity.held, 6) == 0.2 and activity.holding_since is not None
    sampler.sample(sys._getframe(), 0.1, 10.2)  # kernel code on the main thread: nobody's
    assert round(activity.held, 6) == 0.2 and activity.holding_since is None
    sampler.sample(None, 0.1, 10.3)
    assert round(activity.held, 6) == 0.2


def test_sampler_thread_stops() -> None:
    sampler = MainThreadSampler(lambda ns: None, lambda name: False, interval=0.01)
    sampler.start()
    sampler.stop()
    sampler.thread.join(5)
    assert not sampler.thread.is_alive()
    assert threading.main_thread().is_alive()


def test_estimate_counts_contents_once_and_skips_shared_objects() -> None:
    data = list(range(10_000))
    alone = estimate_size([data])
    assert alone > sys.getsizeof(data)  # the ints inside count too
    assert estimate_size([data, data, {"again": data}]) < alone + 1_000  # counted once
    assert estimate_size([sys, len, int, test_estimate_counts_contents_once_and_skips_shared_objects]) == 0
    assert estimate_size([list(range(10_000))], limit=10) < alone
