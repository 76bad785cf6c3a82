"""Compiling a cell: top-level ``await`` and the value of the last expression.

A cell is split into its body and, when it ends with an expression
statement, that last expression; each part is compiled with
``PyCF_ALLOW_TOP_LEVEL_AWAIT``.  A part that awaits compiles to a coroutine
code object, which :func:`run_code` awaits on the kernel's event loop; others
run directly.  Nothing is added to the user's namespace.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from types import CodeType
from typing import Any

ALLOW_TOP_LEVEL_AWAIT = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT


@dataclass(frozen=True, slots=True)
class CompiledCell:
    """A cell ready to run: its body, and its last expression if it has one."""

    body: CodeType | None
    last_expression: CodeType | None


def compile_cell(
    source: str, filename: str, flags: int = 0, transform: Callable[[ast.Module], ast.Module] | None = None
) -> CompiledCell:
    """Parse and compile ``source``; raises ``SyntaxError`` for invalid code."""
    tree = ast.parse(source, filename, "exec")
    if transform is not None:
        tree = transform(tree)
    flags |= ALLOW_TOP_LEVEL_AWAIT
    last: ast.Expression | None = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        expr = tree.body.pop()
        assert isinstance(expr, ast.Expr)
        last = ast.Expression(expr.value)
        ast.copy_location(last, expr)
    body = compile(tree, filename, "exec", flags, dont_inherit=True) if tree.body else None
    last_code = compile(last, filename, "eval", flags, dont_inherit=True) if last is not None else None
    return CompiledCell(body, last_code)


async def run_code(code: CodeType, namespace: dict[str, Any]) -> Any:
    """Run one compiled part in ``namespace``, awaiting it if it awaits."""
    result = eval(code, namespace)
    if code.co_flags & inspect.CO_COROUTINE:
        result = await result
    return result
