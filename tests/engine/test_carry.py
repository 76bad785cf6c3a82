"""Context from cell to cell (``engine.carry`` through the scheduler), on both anyio backends:
ContextVars and the decimal context persist, awaits included; the kernel's variables, set
around a cell rather than by it, never pass to the next cell; the concurrent rule."""

from __future__ import annotations

import contextvars
import decimal

import anyio
import pytest

from braid_kernel.engine.cell import Status
from tests.engine.fakes import Rig

pytestmark = pytest.mark.anyio
WAIT = 10.0  # a backstop against hangs, never a speed bound

user_var: contextvars.ContextVar[str] = contextvars.ContextVar("user_var", default="unset")
request_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_var", default="none")
braid_var: contextvars.ContextVar[str] = contextvars.ContextVar("braid_test_var", default="none")


async def _in_task(rig: Rig, code: str, request: str = "") -> object:
    """Run a cell in a task of its own, as the dispatcher does (setting ``request_var`` first,
    as the dispatcher sets the current request); the cell's result."""
    result: list[object] = []

    async def one() -> None:
        if request:
            request_var.set(request)
        outcome = await rig.run(code)
        assert outcome.status is Status.OK, outcome.error
        result.append(outcome.result)

    with anyio.fail_after(WAIT):
        async with anyio.create_task_group() as tg:
            tg.start_soon(one)
    return result[0]


@pytest.fixture
def shared(rig: Rig) -> Rig:
    rig.host.namespace.update(anyio=anyio, decimal=decimal, user_var=user_var, braid_var=braid_var)
    rig.host.namespace.update(request_var=request_var)
    return rig


async def test_a_contextvar_set_after_an_await_is_seen_by_the_next_cell(shared: Rig) -> None:
    await _in_task(shared, "await anyio.sleep(0)\nuser_var.set('cell 1')")
    assert await _in_task(shared, "user_var.get()") == "cell 1"
    assert user_var.get() == "unset"  # the test's own context is untouched


async def test_the_decimal_context_persists(shared: Rig) -> None:
    await _in_task(
        shared, "decimal.getcontext().prec = 4\ndecimal.getcontext().traps[decimal.DivisionByZero] = False"
    )
    assert await _in_task(
        shared, "await anyio.sleep(0)\nstr(decimal.Decimal(1) / 7), str(decimal.Decimal(1) / 0)"
    ) == (
        "0.1429",
        "Infinity",
    )


async def test_what_is_set_around_a_cell_is_not_carried(shared: Rig) -> None:
    # request_var is set by the cell's task before the cell runs (as the current request is):
    # each cell sees its own.  braid_* variables are never carried, even when a cell sets them.
    assert await _in_task(shared, "braid_var.set('x')\nrequest_var.get()", request="one") == "one"
    assert await _in_task(shared, "request_var.get(), braid_var.get()", request="two") == ("two", "none")
    assert await _in_task(shared, "request_var.get()") == "none"


async def test_a_variable_reset_by_a_cell_is_no_longer_carried(shared: Rig) -> None:
    await _in_task(shared, "user_var.set('kept')")
    await _in_task(shared, "token = user_var.set('temporary')\nuser_var.reset(token)")
    assert await _in_task(shared, "user_var.get()") == "kept"


async def test_a_concurrent_cell_starts_from_the_cells_finished_before_it() -> None:
    rig = Rig(chained=False)
    gate, started = anyio.Event(), anyio.Event()
    rig.host.namespace.update(anyio=anyio, user_var=user_var, gate=gate, started=started)
    results: dict[str, object] = {}

    async def first() -> None:
        await rig.run("user_var.set('first')\nstarted.set()\nawait gate.wait()")

    with anyio.fail_after(WAIT):
        async with anyio.create_task_group() as tg:
            tg.start_soon(first)
            await started.wait()
            results["during"] = await _in_task(rig, "before = user_var.get()\nuser_var.set('second')\nbefore")
            results["second done"] = await _in_task(rig, "user_var.get()")
            gate.set()
    results["all done"] = await _in_task(rig, "user_var.get()")
    assert results == {"during": "unset", "second done": "second", "all done": "first"}
