"""The scheduler on both anyio backends: chained and concurrent order, interrupts, aborts, ``__task__``."""

from __future__ import annotations

import gc
import time

import anyio
import pytest

from braid_kernel.engine.cell import Outcome, Status
from braid_kernel.engine.scheduler import Ending
from tests.engine.fakes import Rig

pytestmark = pytest.mark.anyio
WAIT = 10.0  # a backstop against hangs, never a speed bound


def _share(rig: Rig, **names: object) -> None:
    rig.host.namespace.update(anyio=anyio, **names)


async def _run_all(rig: Rig, codes: list[str], start_gap: float = 0.0) -> list[Outcome]:
    """Submit ``codes`` in order (as the dispatcher would, each as a task); their outcomes."""
    outcomes: list[Outcome | None] = [None] * len(codes)

    async def one(i: int, code: str) -> None:
        outcomes[i] = await rig.run(code)

    with anyio.fail_after(WAIT):
        async with anyio.create_task_group() as tg:
            for i, code in enumerate(codes):
                tg.start_soon(one, i, code)
                await anyio.sleep(start_gap)
    assert all(o is not None for o in outcomes)
    return [o for o in outcomes if o is not None]


async def test_chained_cells_finish_in_submission_order(rig: Rig) -> None:
    _share(rig, order=[])
    codes = [
        "await anyio.sleep(0.3)\norder.append(1)",
        "await anyio.sleep(0.05)\norder.append(2)",
        "order.append(3)",
    ]
    outcomes = await _run_all(rig, codes)
    assert [o.status for o in outcomes] == [Status.OK] * 3
    assert rig.host.namespace["order"] == [1, 2, 3]


async def test_concurrent_cells_run_at_the_same_time() -> None:
    rig = Rig(chained=False)
    _share(rig, gate=anyio.Event())
    # The first cell can only finish once the second one ran: in chained mode this would hang.
    outcomes = await _run_all(rig, ["await gate.wait()\n'first'", "gate.set()\n'second'"])
    assert [o.result for o in outcomes] == ["first", "second"]


async def test_unchain_then_chain_switches_how_later_cells_wait(rig: Rig) -> None:
    _share(rig, gate=anyio.Event())
    rig.scheduler.unchain()
    outcomes = await _run_all(rig, ["await gate.wait()", "gate.set()"])
    assert [o.status for o in outcomes] == [Status.OK, Status.OK]
    rig.scheduler.chain()
    _share(rig, order=[])
    await _run_all(rig, ["await anyio.sleep(0.2)\norder.append('slow')", "order.append('fast')"])
    assert rig.host.namespace["order"] == ["slow", "fast"]


async def test_interrupt_cancels_the_awaiting_cell_and_aborts_the_queued_one(rig: Rig) -> None:
    _share(rig, started=anyio.Event())
    outcomes: dict[str, Outcome] = {}

    async def submit(name: str, code: str) -> None:
        outcomes[name] = await rig.run(code)

    with anyio.fail_after(WAIT):
        async with anyio.create_task_group() as tg:
            tg.start_soon(submit, "sleeper", "started.set()\nawait anyio.sleep(60)")
            await rig.host.namespace["started"].wait()
            tg.start_soon(submit, "queued", "'never runs'")
            await anyio.sleep(0.05)
            rig.scheduler.interrupt()
    assert outcomes["sleeper"].status is Status.ERROR
    assert outcomes["sleeper"].error is not None and outcomes["sleeper"].error.ename == "KeyboardInterrupt"
    assert outcomes["queued"].status is Status.ABORTED
    assert [e["ename"] for e in rig.published("error")] == ["KeyboardInterrupt"]
    assert (await rig.run("'after the interrupt'")).result == "after the interrupt"


async def test_failure_aborts_cells_queued_behind_it_but_not_later_ones(rig: Rig) -> None:
    _share(rig)
    outcomes = await _run_all(rig, ["await anyio.sleep(0.1)\n1 / 0", "'queued behind the failure'"])
    assert [o.status for o in outcomes] == [Status.ERROR, Status.ABORTED]
    assert outcomes[0].error is not None and outcomes[0].error.ename == "ZeroDivisionError"
    assert (await rig.run("'sent after the failure'")).status is Status.OK


async def test_stop_on_error_false_lets_the_queued_cell_run(rig: Rig) -> None:
    _share(rig)
    outcomes: list[Outcome] = []

    async def submit(code: str) -> None:
        outcomes.append(await rig.run(code, stop_on_error=False))

    with anyio.fail_after(WAIT):
        async with anyio.create_task_group() as tg:
            tg.start_soon(submit, "await anyio.sleep(0.1)\nraise ValueError('x')")
            await anyio.sleep(0)
            tg.start_soon(submit, "'runs anyway'")
    assert [o.status for o in outcomes] == [Status.ERROR, Status.OK]


async def test_task_waits_for_the_previous_cell_in_concurrent_mode() -> None:
    rig = Rig(chained=False)
    _share(rig, order=[])
    rig.host.namespace["__task__"] = rig.scheduler.wait_for
    codes = ["await anyio.sleep(0.3)\norder.append('first')", "await __task__()\norder.append('second')"]
    await _run_all(rig, codes)
    assert rig.host.namespace["order"] == ["first", "second"]


async def test_task_with_a_count_waits_for_that_cell_and_returns_for_unknown_ones() -> None:
    rig = Rig(chained=False)
    _share(rig, order=[])
    rig.host.namespace["__task__"] = rig.scheduler.wait_for
    codes = [
        "await anyio.sleep(0.3)\norder.append(1)",
        "await anyio.sleep(0.05)\norder.append(2)",
        "await __task__(1)\nawait __task__(999)\norder.append(3)",
    ]
    await _run_all(rig, codes)
    assert rig.host.namespace["order"] == [2, 1, 3]


async def test_an_interrupt_while_idle_aborts_nothing(rig: Rig) -> None:
    _share(rig)
    sent_before = time.monotonic()  # a request that arrived just before the interrupt was handled
    rig.scheduler.interrupt()
    assert (await rig.run("'runs'", received=sent_before)).status is Status.OK


async def test_an_interrupt_between_cells_spares_the_cell_about_to_start(rig: Rig) -> None:
    """No cell runs when the interrupt is handled (the first has ended, the second has not
    started): as with ipykernel, nothing is interrupted and the second cell runs."""
    _share(rig, started=anyio.Event(), go=anyio.Event())
    outcomes: dict[str, Outcome] = {}

    async def first() -> None:
        outcomes["first"] = await rig.run("started.set()\nawait go.wait()")
        rig.scheduler.interrupt()  # no checkpoint since the first cell ended: the second waits

    async def second() -> None:
        outcomes["second"] = await rig.run("'runs'")

    with anyio.fail_after(WAIT):
        async with anyio.create_task_group() as tg:
            tg.start_soon(first)
            await rig.host.namespace["started"].wait()
            tg.start_soon(second)
            while not _waiting(rig):
                await anyio.sleep(0)
            rig.host.namespace["go"].set()
    assert outcomes["first"].status is Status.OK
    assert outcomes["second"].status is Status.OK


def _waiting(rig: Rig) -> bool:
    """Whether a submitted cell waits for its turn (behind the running one)."""
    return any(entry.scope is None for entry in rig.scheduler._entries.values())


async def test_an_interrupt_spares_the_cells_sent_after_it_arrived(rig: Rig) -> None:
    _share(rig, started=anyio.Event())
    outcomes: dict[str, Outcome] = {}

    async def submit(name: str, code: str) -> None:
        # stop_on_error=False: the interrupted cell's error alone would abort the cells behind it
        outcomes[name] = await rig.run(code, stop_on_error=False)

    with anyio.fail_after(WAIT):
        async with anyio.create_task_group() as tg:
            tg.start_soon(submit, "sleeper", "started.set()\nawait anyio.sleep(60)")
            await rig.host.namespace["started"].wait()
            arrived = time.monotonic()  # the interrupt arrives, then a cell is sent ...
            tg.start_soon(submit, "later", "'sent after the interrupt'")
            await anyio.sleep(0.05)
            rig.scheduler.interrupt(at=arrived)  # ... and only then does the loop handle it
    assert outcomes["sleeper"].status is Status.ERROR
    assert outcomes["later"].status is Status.OK


async def test_the_interrupted_cells_error_spares_cells_sent_after_the_interrupt(rig: Rig) -> None:
    """stop_on_error aborts what was queued behind the interrupted cell when the interrupt
    arrived, not the cell the user sent once it had (still waiting while the first unwinds)."""
    _share(rig, started=anyio.Event())
    outcomes: dict[str, Outcome] = {}

    async def submit(name: str, code: str, received: float | None = None) -> None:
        fields = {} if received is None else {"received": received}
        outcomes[name] = await rig.run(code, **fields)

    with anyio.fail_after(WAIT):
        async with anyio.create_task_group() as tg:
            tg.start_soon(submit, "sleeper", "started.set()\nawait anyio.sleep(60)")
            await rig.host.namespace["started"].wait()
            queued_before = time.monotonic()
            arrived = time.monotonic()  # the interrupt arrives ...
            tg.start_soon(submit, "queued", "'queued before the interrupt'", queued_before)
            tg.start_soon(submit, "later", "'sent after the interrupt'")  # ... then this is sent
            while sum(entry.scope is None for entry in rig.scheduler._entries.values()) < 2:
                await anyio.sleep(0)
            rig.scheduler.interrupt(at=arrived)
    assert outcomes["sleeper"].status is Status.ERROR
    assert outcomes["queued"].status is Status.ABORTED
    assert outcomes["later"].status is Status.OK


async def test_on_end_tells_how_each_cell_that_ran_ended() -> None:
    """Finished (ok or error), interrupted (cancelled scope or KeyboardInterrupt raised in the
    code), cancelled alone by ``%braid cancel``; an aborted cell never ran, so is not reported."""
    rig = Rig(chained=False)
    _share(rig, started=anyio.Event(), both=anyio.Event())
    with anyio.fail_after(WAIT):
        await rig.run("1")
        await rig.run("1 / 0")
        await rig.run("raise KeyboardInterrupt")
        async with anyio.create_task_group() as tg:
            tg.start_soon(rig.run, "started.set()\nawait anyio.sleep(60)")
            await rig.host.namespace["started"].wait()
            rig.scheduler.cancel(4)
        rig.host.namespace["started"] = anyio.Event()
        async with anyio.create_task_group() as tg:
            tg.start_soon(rig.run, "started.set()\nawait anyio.sleep(60)")
            await rig.host.namespace["started"].wait()
            rig.scheduler.interrupt()
    assert rig.endings == [
        (1, Ending.FINISHED),
        (2, Ending.FINISHED),
        (3, Ending.INTERRUPTED),
        (4, Ending.CANCELLED),
        (5, Ending.INTERRUPTED),
    ]


async def test_finished_cells_leave_no_event_behind() -> None:
    """A finished cell keeps nothing in the scheduler: ``__task__(N)`` for it returns at once
    as for an unknown number, and no event is made for a cell nobody waits for."""
    rig = Rig(chained=False)
    _share(rig)
    rig.host.namespace["__task__"] = rig.scheduler.wait_for
    gc.collect()
    before = _events_alive()
    with anyio.fail_after(WAIT):
        for _ in range(20):
            assert (await rig.run("await anyio.sleep(0)")).status is Status.OK
        assert (await rig.run("await __task__(1)\n'waited'")).result == "waited"
    gc.collect()
    assert _events_alive() <= before


def _events_alive() -> int:
    return sum(1 for obj in gc.get_objects() if isinstance(obj, anyio.Event))
