"""compile_cell: top-level await and which expressions' values are shown."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from braid_kernel.engine.compiler import compile_cell, run_code

SOURCE = "a = 1\na\nb = a + 1\nb * 10\nc = 5"


def _shown(source: str, interactivity: str) -> list[Any]:
    namespace: dict[str, Any] = {}
    shown = []

    async def run() -> None:
        for part in compile_cell(source, "<cell>", interactivity=interactivity).parts:
            value = await run_code(part.code, namespace)
            if part.shown:
                shown.append(value)

    asyncio.run(run())
    assert namespace["c"] == 5 if "c = 5" in source else True
    return shown


@pytest.mark.parametrize(
    ("interactivity", "source", "expected"),
    [
        ("last_expr", SOURCE, []),
        ("last_expr", "x = 2\nx * 3", [6]),
        ("all", SOURCE, [1, 20]),
        ("last", "x = 2\nx * 3", [6]),
        ("last", SOURCE, []),
        ("none", "x = 2\nx * 3", []),
        ("last_expr_or_assign", SOURCE, [5]),
        ("last_expr_or_assign", "x = 2\nx += 4", [6]),
        ("last_expr_or_assign", "x, y = 1, 2", []),
    ],
)
def test_interactivity_modes_show_what_ipython_shows(
    interactivity: str, source: str, expected: list[Any]
) -> None:
    assert _shown(source, interactivity) == expected


def test_top_level_await_in_a_shown_expression_and_in_statements() -> None:
    source = "import asyncio\nx = await asyncio.sleep(0, result=3)\nawait asyncio.sleep(0, result=x + 1)"
    assert _shown(source, "last_expr") == [4]
    assert _shown(source, "all") == [4]


def test_an_empty_cell_has_no_parts() -> None:
    assert compile_cell("# nothing\n", "<cell>").parts == ()


def test_syntax_errors_are_raised() -> None:
    with pytest.raises(SyntaxError):
        compile_cell("def (:", "<cell>")


def test_a_future_import_reports_the_feature_it_turned_on() -> None:
    import __future__

    flag = __future__.annotations.compiler_flag
    assert compile_cell("from __future__ import annotations\nx = 1", "<cell>").future_flags == flag
    assert compile_cell("x = 1", "<cell>").future_flags == 0
    assert compile_cell("from __future__ import annotations", "<cell>", flag).future_flags == 0  # already on


def test_code_compiled_with_a_kept_future_flag_uses_the_feature() -> None:
    import __future__

    flag = __future__.annotations.compiler_flag
    [part] = compile_cell("def f(x: Undefined): pass", "<cell>", flag).parts
    namespace: dict[str, Any] = {}
    asyncio.run(run_code(part.code, namespace))
    assert namespace["f"].__annotations__ == {"x": "Undefined"}
