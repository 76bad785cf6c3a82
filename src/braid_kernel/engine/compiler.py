"""Compiling a cell: top-level ``await`` and the values shown.

A cell is split into parts run one after another: runs of statements, and
the expressions whose value is shown, chosen as IPython's
``InteractiveShell.ast_node_interactivity`` says — ``last_expr`` (the
default: the last statement, if it is an expression), ``all`` (every
top-level expression), ``last`` (the last statement, if it is an
expression), ``last_expr_or_assign`` (also the target of a final
assignment) or ``none``.  Each part is compiled with
``PyCF_ALLOW_TOP_LEVEL_AWAIT``; a part that awaits compiles to a coroutine
code object, which :func:`run_code` awaits on the kernel's event loop;
others run directly.  Nothing is added to the user's namespace.
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
class Part:
    """Code to run, and whether its value is shown (an expression) or not (statements)."""

    code: CodeType
    shown: bool


@dataclass(frozen=True, slots=True)
class CompiledCell:
    """A cell ready to run: its parts, in order."""

    parts: tuple[Part, ...]


def compile_cell(
    source: str,
    filename: str,
    flags: int = 0,
    transform: Callable[[ast.Module], ast.Module] | None = None,
    interactivity: str = "last_expr",
) -> CompiledCell:
    """Parse and compile ``source``; raises ``SyntaxError`` for invalid code."""
    tree = ast.parse(source, filename, "exec")
    if transform is not None:
        tree = transform(tree)
    flags |= ALLOW_TOP_LEVEL_AWAIT
    parts: list[Part] = []
    pending: list[ast.stmt] = []

    def flush() -> None:
        if pending:
            module = ast.Module(body=list(pending), type_ignores=[])
            parts.append(Part(compile(module, filename, "exec", flags, dont_inherit=True), False))
            pending.clear()

    for node in _shown_nodes(tree.body, interactivity):
        if isinstance(node, ast.stmt):
            pending.append(node)
            continue
        flush()
        expression = ast.Expression(node)
        ast.copy_location(expression, node)
        parts.append(Part(compile(expression, filename, "eval", flags, dont_inherit=True), True))
    flush()
    return CompiledCell(tuple(parts))


def _shown_nodes(body: list[ast.stmt], interactivity: str) -> list[ast.stmt | ast.expr]:
    """``body`` with the expression statements whose value is shown replaced by the expression."""
    if not body or interactivity == "none":
        return list(body)
    if interactivity == "all":
        return [node.value if isinstance(node, ast.Expr) else node for node in body]
    *rest, last = body
    if isinstance(last, ast.Expr):
        return [*rest, last.value]
    if interactivity == "last_expr_or_assign":
        target = _single_target(last)
        if target is not None:
            shown = ast.Name(id=target, ctx=ast.Load())
            ast.copy_location(shown, last)
            return [*body, shown]
    return list(body)


def _single_target(node: ast.stmt) -> str | None:
    """The name a final ``x = ...`` / ``x += ...`` / ``x: T = ...`` binds, if it binds one."""
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target: ast.expr = node.targets[0]
    elif isinstance(node, ast.AugAssign | ast.AnnAssign) and node.value is not None:
        target = node.target
    else:
        return None
    return target.id if isinstance(target, ast.Name) else None


async def run_code(code: CodeType, namespace: dict[str, Any]) -> Any:
    """Run one compiled part in ``namespace``, awaiting it if it awaits."""
    result = eval(code, namespace)
    if code.co_flags & inspect.CO_COROUTINE:
        result = await result
    return result
