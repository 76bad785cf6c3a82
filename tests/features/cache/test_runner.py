"""The cache-aware runner on a fake shell (both anyio backends), and cache entries."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from braid_kernel.engine.cell import Status
from braid_kernel.engine.scheduler import Scheduler
from braid_kernel.features.cache.engine.cache import CellCache
from braid_kernel.features.cache.engine.entry import (
    Entry,
    StaleReference,
    Unpicklable,
    dump_entry,
    load_entry,
)
from braid_kernel.features.cache.engine.recording import MessageEvent, Recording, StreamEvent
from braid_kernel.features.cache.engine.runner import CachingRunner
from braid_kernel.features.cache.engine.store import CacheStore
from braid_kernel.routing.context import Request, current_request
from braid_kernel.routing.taps import tapping
from braid_kernel.wire.channels import Channel
from braid_kernel.wire.message import Message
from tests.engine.fakes import Rig


class CacheRig(Rig):
    """A :class:`Rig` whose runner goes through a cache in ``directory``."""

    def __init__(self, directory: Path) -> None:
        super().__init__()
        self.cache = CellCache(lambda: CacheStore(directory, 10**7, directory / "secret"), enabled=True)
        self.runner = CachingRunner(self.runner, self.cache)
        self.scheduler = Scheduler(self.runner)
        self.host.namespace["__name__"] = "__main__"

    async def state(self, code: str, **fields: Any) -> str | None:
        cell = self.cell(code, **fields)
        await self.scheduler.run(cell)
        braid: dict[str, Any] = cell.metadata.get("braid", {})
        return braid.get("cache")


@pytest.fixture
def crig(tmp_path: Path) -> CacheRig:
    return CacheRig(tmp_path)


@pytest.mark.anyio
async def test_a_hit_binds_the_names_without_running(crig: CacheRig) -> None:
    crig.host.namespace["runs"] = []
    assert await crig.state("runs.append(1)\nx = len(runs) * 10") == "miss"
    assert crig.host.namespace["x"] == 10
    crig.host.namespace["runs"] = []
    assert await crig.state("runs.append(1)\nx = len(runs) * 10") == "hit"
    assert crig.host.namespace["runs"] == [1], "the mutated input is restored"
    assert crig.cache.counts.hits == 1 and crig.cache.counts.stored == 1


@pytest.mark.anyio
async def test_deleted_names_are_deleted_again_on_a_hit(crig: CacheRig) -> None:
    crig.host.namespace["tmp"] = 1
    assert await crig.state("del tmp") == "miss"
    crig.host.namespace["tmp"] = 1
    assert await crig.state("del tmp") == "hit"
    assert "tmp" not in crig.host.namespace


@pytest.mark.anyio
async def test_a_conditional_binding_that_did_not_happen_is_not_stored(crig: CacheRig) -> None:
    crig.host.namespace.update(flag=False, y=5)
    await crig.state("if flag:\n    y = 1")
    crig.host.namespace["y"] = 7
    assert await crig.state("if flag:\n    y = 1") == "hit"
    assert crig.host.namespace["y"] == 7


@pytest.mark.anyio
async def test_failing_cells_are_not_stored(crig: CacheRig) -> None:
    outcome = await crig.scheduler.run(crig.cell("z = 1\n1 / 0"))
    assert outcome.status is Status.ERROR
    assert await crig.state("z = 1\n1 / 0") == "miss"
    assert crig.cache.counts.stored == 0


@pytest.mark.anyio
async def test_silent_cells_and_cells_with_magics_bypass_the_cache(crig: CacheRig) -> None:
    assert await crig.state("q = 1", silent=True) is None
    crig.host.namespace["get_ipython"] = lambda: None
    assert await crig.state("get_ipython()") == "skip"
    assert crig.cache.last_not_cached is not None
    assert "magics" in crig.cache.last_not_cached[1]


@pytest.mark.anyio
async def test_nocache_comment_opts_out(crig: CacheRig) -> None:
    for _ in range(2):
        assert await crig.state("# braid: nocache\nw = 1") == "skip"
    assert crig.cache.counts.stored == 0


@pytest.mark.anyio
async def test_cache_off_runs_plainly(crig: CacheRig) -> None:
    crig.cache.disable()
    assert await crig.state("v = 1") is None
    assert crig.cache.counts.misses == 0


def test_a_restored_function_reads_the_namespace_it_is_restored_into() -> None:
    ns: dict[str, Any] = {"__name__": "__main__"}
    exec("k = 1\ndef f():\n    return k", ns)
    data = dump_entry(Entry({"f": ns["f"]}, (), ()), ns)
    target: dict[str, Any] = {"__name__": "__main__", "k": 10}
    entry = load_entry(data, target)
    restored = entry.values["f"]
    assert restored() == 10
    target["k"] = 20
    assert restored() == 20, "a restored function must see later changes of its globals"


def test_the_value_that_cannot_be_pickled_is_named() -> None:
    with pytest.raises(Unpicklable, match="`lock` cannot be pickled"):
        dump_entry(Entry({"fine": 1, "lock": threading.Lock()}, (), ()), {})


def _request() -> Request:
    return Request(
        Message({"msg_id": "1", "msg_type": "execute_request"}, content={"code": ""}), Channel.SHELL
    )


def test_a_recording_keeps_replayable_output_and_blocks_on_the_rest() -> None:
    request = _request()
    recording = Recording(request.header)
    recording.stream("stdout", "hi")
    recording.message("display_data", {"data": {}}, request.header, None, ())
    recording.message("status", {}, request.header, None, ())
    assert recording.events == [StreamEvent("stdout", "hi"), MessageEvent("display_data", {"data": {}})]
    assert recording.blocked is None
    recording.message("comm_open", {}, request.header, None, ())
    assert recording.blocked is not None and "comm_open" in recording.blocked
    recording.close()
    recording.stream("stdout", "late")
    assert len(recording.events) == 2


def test_output_streams_record_only_when_asked() -> None:
    from braid_kernel.engine.streams import OutStream
    from braid_kernel.transport.outbox import Outbox

    stream = OutStream("stdout", Outbox())
    request = _request()
    recording = Recording(request.header)
    token = current_request.set(request)
    try:
        with tapping(recording):
            stream.write("plain ")
            stream.record(True)
            stream.write("recorded")
            stream.record(False)
            stream.write(" plain again")
    finally:
        current_request.reset(token)
    assert recording.events == [StreamEvent("stdout", "recorded")]


_CLASS = (
    "class P:\n"
    "    def __init__(self, x):\n"
    "        self.x = x\n"
    "    def twice(self):\n"
    "        return 2 * self.x\n"
)


def test_an_instance_is_restored_with_the_class_of_the_namespace() -> None:
    made: dict[str, Any] = {"__name__": "__main__"}
    exec(_CLASS + "p = P(4)", made)
    data = dump_entry(Entry({"p": made["p"]}, (), ()), made)
    later: dict[str, Any] = {"__name__": "__main__"}
    exec(_CLASS, later)  # the same class, defined again (e.g. after a restart)
    p = load_entry(data, later).values["p"]
    assert isinstance(p, later["P"]) and p.twice() == 8
    changed: dict[str, Any] = {"__name__": "__main__"}
    exec(_CLASS.replace("2 * self.x", "3 * self.x"), changed)
    with pytest.raises(StaleReference):
        load_entry(data, changed)


def test_a_class_the_cell_defines_is_stored_by_value() -> None:
    ns: dict[str, Any] = {"__name__": "__main__"}
    exec(
        "class Base:\n    pass\n"
        "class Child(Base):\n    def hello(self):\n        return super().__repr__()[:1]\n",
        ns,
    )
    data = dump_entry(Entry({"Child": ns["Child"]}, (), ()), ns)
    target: dict[str, Any] = {"__name__": "__main__", "Base": ns["Base"]}
    child = load_entry(data, target).values["Child"]
    assert child().hello() == "<"
    assert issubclass(child, ns["Base"])
