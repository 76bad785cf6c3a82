"""What the engine needs from the interactive shell (implemented in ``shell/``).

The engine runs cells; the shell layer owns IPython.  This protocol is the
narrow interface between them, so the engine stays free of IPython and can
be tested with a plain fake.
"""

from __future__ import annotations

import ast
from typing import Any, Protocol

from braid_kernel.engine.cell import Cell, ErrorInfo
from braid_kernel.wire.message import JsonDict


class ShellHost(Protocol):
    """The interactive shell as seen by the engine."""

    @property
    def user_ns(self) -> dict[str, Any]:
        """The namespace cells run in."""
        ...

    @property
    def compile_flags(self) -> int:
        """Extra ``compile()`` flags (``__future__`` features in effect)."""
        ...

    def keep_future_flags(self, flags: int) -> None:
        """A cell turned on these ``__future__`` features: later cells compile with them too."""
        ...

    @property
    def interactivity(self) -> str:
        """Which expressions' values a cell shows (IPython's ``ast_node_interactivity``)."""
        ...

    def prepare(self, raw: str, execution_count: int, store_history: bool) -> tuple[str, str]:
        """Transform ``raw`` (magics, ``!cmd``), register the cell's source for
        tracebacks, record it in history; return ``(code, filename)``."""
        ...

    def transform_ast(self, tree: ast.Module) -> ast.Module:
        """Apply the shell's AST transformers."""
        ...

    def before_cell(self, cell: Cell) -> None:
        """Fire the shell's pre-execution events."""
        ...

    def show_error(self, exc: BaseException, compiled: bool = True) -> ErrorInfo:
        """Show the exception a cell raised (publishing it, or handing it to the
        shell's handlers) and return what the reply reports; ``compiled`` is False
        for an error that kept the cell from compiling.  Called on the cell's
        thread, before :meth:`after_cell`."""
        ...

    def after_cell(self, cell: Cell, error: BaseException | None, result: Any, compiled: bool = True) -> None:
        """Record how the cell ended (``compiled``: False when ``error`` kept it from
        compiling) and fire the shell's post-execution events (e.g. matplotlib
        flushes figures)."""
        ...

    def display_result(self, value: Any) -> None:
        """Show the value of a cell's last expression (execute_result)."""
        ...

    def format_error(self, exc: BaseException) -> ErrorInfo:
        """Format a cell's exception, showing only the user's frames."""
        ...

    def user_expressions(self, expressions: dict[str, str]) -> JsonDict:
        """Evaluate ``user_expressions`` of an execute_request."""
        ...

    def finish_output(self, cell: Cell) -> None:
        """Record the cell's output in history once it ended."""
        ...
