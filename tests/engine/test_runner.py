"""The cell runner on both anyio backends: values, top-level await, errors as the user's errors."""

from __future__ import annotations

import anyio
import pytest

from braid_kernel.engine.cell import Status
from tests.engine.fakes import Rig

pytestmark = pytest.mark.anyio


async def test_last_expression_is_the_result_and_names_stay_defined(rig: Rig) -> None:
    outcome = await rig.run("x = 20\nx + 22")
    assert outcome.status is Status.OK and outcome.result == 42
    assert rig.host.results == [42]
    assert rig.host.namespace["x"] == 20


async def test_top_level_await_runs_on_the_current_backend(rig: Rig, anyio_backend: str) -> None:
    rig.host.namespace["anyio"] = anyio
    outcome = await rig.run("import sniffio\nawait anyio.sleep(0)\nsniffio.current_async_library()")
    assert outcome.result == anyio_backend


@pytest.mark.parametrize(
    ("code", "ename"),
    [
        ("1 / 0", "ZeroDivisionError"),
        ("raise KeyboardInterrupt", "KeyboardInterrupt"),
        ("raise SystemExit(3)", "SystemExit"),
    ],
)
async def test_exceptions_are_reported_as_the_cells_error(rig: Rig, code: str, ename: str) -> None:
    outcome = await rig.run(code)
    assert outcome.status is Status.ERROR
    assert outcome.error is not None and outcome.error.ename == ename
    assert [e["ename"] for e in rig.published("error")] == [ename]
    assert rig.host.events[-1] == f"after 1 {ename}"


async def test_syntax_error_is_the_cells_error(rig: Rig) -> None:
    outcome = await rig.run("def broken(:\n")
    assert outcome.error is not None and outcome.error.ename == "SyntaxError"


async def test_a_cancel_scope_the_cell_cancels_itself_does_not_end_the_cell(rig: Rig) -> None:
    rig.host.namespace["anyio"] = anyio
    code = "with anyio.CancelScope() as inner:\n    inner.cancel()\n    await anyio.sleep(1)\n'survived'"
    outcome = await rig.run(code)
    assert outcome.status is Status.OK and outcome.result == "survived"


async def test_stop_iteration_raised_by_a_cell_is_its_error(rig: Rig) -> None:
    outcome = await rig.run("raise StopIteration('done')")
    assert outcome.error is not None and (outcome.error.ename, outcome.error.evalue) == (
        "StopIteration",
        "done",
    )


async def test_the_error_is_shown_before_the_post_run_events(rig: Rig) -> None:
    await rig.run("1 / 0")
    assert rig.host.events[-3:] == ["before 1", "shown ZeroDivisionError", "after 1 ZeroDivisionError"]


async def test_a_compile_error_is_shown_as_one(rig: Rig) -> None:
    await rig.run("def broken(:\n")
    assert rig.host.events[-2] == "shown SyntaxError (compiling)"


async def test_a_future_import_is_kept_for_later_cells(rig: Rig) -> None:
    await rig.run("from __future__ import annotations")
    outcome = await rig.run("def f(x: NotDefinedAnywhere): pass\nf.__annotations__")
    assert outcome.result == {"x": "NotDefinedAnywhere"}
