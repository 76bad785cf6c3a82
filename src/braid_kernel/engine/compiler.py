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

A ``from __future__ import`` in a cell turns the feature on for that cell;
:attr:`CompiledCell.future_flags` says which features it turned on, so the
shell can keep them for later cells, as IPython's compiler does.
"""

from __future__ import annotations
import __future__

import ast
import functools
import inspect
import operator
from collections.abc import Callable
from dataclasses import dataclass
from types import CodeType
from typing import Any

ALLOW_TOP_LEVEL_AWAIT = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
#: Every ``__future__`` feature's compiler flag (a code object carries the ones its source imported).
FUTURE_FLAGS = functools.reduce(
    operator.or_, (getattr(__future__, name).compiler_flag for name in __future__.all_feature_names)
)


@dataclass(frozen=True, slots=True)
class Part:
    """Code to run, and whether its value is shown (an expression) or not (statements)."""

    code: CodeType
    shown: bool


@dataclass(frozen=True, slots=True)
class CompiledCell:
    """A cell ready to run: its parts, in order, and the ``__future__`` features its
    ``from __future__ import`` statements turned on (compiler flags)."""

    parts: tuple[Part, ...]
    future_flags: int = 0


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
    future = functools.reduce(operator.or_, (part.code.co_flags & FUTURE_FLAGS for part in parts), 0)
    return CompiledCell(tuple(parts), future & ~flags)


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


def start_code(code: CodeType, namespace: dict[str, Any]) -> Any:
    """Run one compiled part in ``namespace``: its value, or, for a part that awaits, the
    coroutine to await for it (see :func:`awaits`).

    A plain function, not a coroutine: an exception the part raises reaches the caller as it is.
    ``StopIteration`` leaving a coroutine would become ``RuntimeError`` (PEP 479), so a cell
    ending in ``raise StopIteration`` would report the wrong error.
    """
    return eval(code, namespace)


def awaits(code: CodeType) -> bool:
    """Whether ``code`` (a compiled part) is a coroutine to await."""
    return bool(code.co_flags & inspect.CO_COROUTINE)


async def run_code(code: CodeType, namespace: dict[str, Any]) -> Any:
    """Run one compiled part in ``namespace``, awaiting it if it awaits."""
    result = start_code(code, namespace)
    if awaits(code):
        result = await result
    return result
