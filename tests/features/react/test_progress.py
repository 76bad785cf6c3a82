"""The reactive runner's progress: each cell's step (queued, running, ran / re-ran / failed /
skipped / missing, stale, cancelled) told to progress listeners as a change goes through the
graph, on both anyio backends."""

from __future__ import annotations

from collections.abc import Mapping

import anyio
import pytest

from braid_kernel.engine.cell import Status
from braid_kernel.features.react.engine.progress import Progress
from braid_kernel.features.react.engine.runner import StaleRun
from tests.features.react.test_engine import WAIT, ReactRig

pytestmark = pytest.mark.anyio


class Heard:
    """What a progress listener heard: batches, and each cell's steps in order."""

    def __init__(self, rig: ReactRig) -> None:
        self.batches: list[tuple[dict[str, str], bool]] = []
        rig.reactive.progress_listeners.append(self.hear)
        self.changed = anyio.Event()

    def hear(self, states: Mapping[str, Progress], change: bool) -> None:
        self.batches.append(({key: step.value for key, step in states.items()}, change))
        self.changed.set()

    def steps(self, key: str) -> list[str]:
        return [states[key] for states, _ in self.batches if key in states]

    def flat(self) -> list[tuple[str, str]]:
        return [(key, step) for states, _ in self.batches for key, step in states.items()]

    def clear(self) -> None:
        self.batches.clear()


async def chain() -> tuple[ReactRig, Heard]:
    rig = ReactRig()
    await rig.run("x = 1", "top")
    await rig.run("y = x + 1", "mid")
    await rig.run("z = y * 10", "bottom")
    heard = Heard(rig)
    return rig, heard


async def test_a_change_queues_its_plan_then_runs_each_cell_in_turn() -> None:
    rig, heard = await chain()
    await rig.run("x = 2", "top")
    first, change = heard.batches[0]
    assert change and first == {"top": "queued", "mid": "queued", "bottom": "queued"}
    assert [change for _, change in heard.batches[1:]] == [False] * (len(heard.batches) - 1)
    assert heard.steps("top") == ["queued", "running", "ran"]
    assert heard.steps("mid") == ["queued", "running", "reran"]
    assert heard.steps("bottom") == ["queued", "running", "reran"]
    flat = heard.flat()  # chained: mid starts only once top ended
    assert flat.index(("mid", "running")) > flat.index(("top", "ran"))
    assert flat.index(("bottom", "running")) > flat.index(("mid", "reran"))
    heard.clear()
    await rig.run("x = 3", "top")
    assert [change for _, change in heard.batches].count(True) == 1  # each change starts once


async def test_failed_skipped_and_missing_cells_say_so() -> None:
    rig = ReactRig()
    await rig.run("d = 1", "a")
    await rig.run("q = 1 / d", "b")
    await rig.run("r = q + 1", "c")
    heard = Heard(rig)
    await rig.run("d = 0", "a")
    assert heard.steps("b")[-1] == "error" and heard.steps("c")[-1] == "skipped"
    heard.clear()
    await rig.run("w = undefined_yet + 1", "e")
    assert heard.steps("e") == ["queued", "missing"]


async def test_lazy_change_marks_stale_and_a_stale_run_is_a_new_change() -> None:
    rig, heard = await chain()
    rig.reactive.enable(lazy=True)
    await rig.run("x = 5", "top")
    assert heard.batches[-1] == ({"mid": "stale", "bottom": "stale"}, False)
    heard.clear()
    with anyio.fail_after(WAIT):
        outcome = await rig.scheduler.run(StaleRun("run stale", "", 0, "<run stale>", False))
    assert outcome.status is Status.OK
    assert heard.batches[0] == ({"mid": "queued", "bottom": "queued"}, True)
    assert heard.steps("mid")[-1] == "reran" and heard.steps("bottom")[-1] == "reran"


async def test_an_interrupt_cancels_the_cells_that_had_not_ended() -> None:
    rig, heard = await chain()
    gate = anyio.Event()
    rig.namespace["gate"] = gate
    await rig.run("y = x + 1\nawait gate.wait()", "mid")
    heard.clear()
    outcome: list[Status] = []

    async def change() -> None:
        outcome.append((await rig.run("x = 9", "top"))[0].status)

    with anyio.fail_after(WAIT):
        async with anyio.create_task_group() as group:
            group.start_soon(change)
            while ("mid", "running") not in heard.flat():
                heard.changed = anyio.Event()
                await heard.changed.wait()
            rig.scheduler.interrupt()
    assert outcome == [Status.ERROR]
    assert heard.steps("mid")[-1] == "cancelled" and heard.steps("bottom") == ["queued", "cancelled"]
    assert heard.steps("top")[-1] == "ran"
