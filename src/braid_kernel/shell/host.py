"""The engine's view of IPython (implements :class:`~braid_kernel.engine.host.ShellHost`)."""

from __future__ import annotations

import ast
import functools
import logging
import os
import sys
from pathlib import Path
from types import TracebackType
from typing import Any

from IPython.core.interactiveshell import ExecutionInfo, ExecutionResult

import braid_kernel
from braid_kernel.engine.cell import Cell, ErrorInfo, current_cell
from braid_kernel.engine.cellfiles import CellFiles
from braid_kernel.routing.context import current_request
from braid_kernel.shell.ipshell import ZMQInteractiveShell
from braid_kernel.shell.namespaces import IsolatedNamespace
from braid_kernel.shell.tracebacks import format_traceback, show_error, user_frames
from braid_kernel.wire.message import JsonDict

_PACKAGE_DIR = str(Path(braid_kernel.__file__).parent) + os.sep
log = logging.getLogger("braid_kernel.shell")


class IPythonHost:
    """Adapts a :class:`ZMQInteractiveShell` to what the engine needs.

    The main shell's host (``main``) runs cells in IPython's user namespace
    and records them in IPython's history.  A subshell's host does not write
    IPython's history (its execution counts are its own); with a
    ``namespace`` it runs cells in that isolated namespace and records its
    history there (the subshell activates the namespace for its requests, so
    IPython's own code sees it too).
    """

    def __init__(
        self,
        shell: ZMQInteractiveShell,
        cell_files: CellFiles,
        main: bool = True,
        namespace: IsolatedNamespace | None = None,
    ) -> None:
        self.shell = shell
        self.cell_files = cell_files
        self.main = main and namespace is None
        self.namespace = namespace
        self.history: list[tuple[int, str]] = []  # a shared subshell's own input history
        self._records: dict[int, ExecutionResult] = {}  # running cells' IPython records, by id(cell)
        self._shown: dict[int, ErrorInfo] = {}  # the error each running cell showed, by id(cell)
        # IPython's input transformation is pure text in, text out and costs
        # ~100 us per cell: remember recent results (re-run cells, benchmarks).
        self._transform = functools.lru_cache(maxsize=256)(shell.transform_cell)

    @property
    def user_ns(self) -> dict[str, Any]:
        if self.namespace is not None:
            return self.namespace.user_ns
        ns: dict[str, Any] = self.shell.user_ns
        return ns

    @property
    def compile_flags(self) -> int:
        return int(self.shell.compile.flags)

    def keep_future_flags(self, flags: int) -> None:
        # What IPython's CachingCompiler (a codeop.Compile) does after compiling a cell.
        self.shell.compile.flags |= flags

    @property
    def interactivity(self) -> str:
        return str(self.shell.ast_node_interactivity)

    def prepare(self, raw: str, execution_count: int, store_history: bool) -> tuple[str, str]:
        code: str = self._transform(raw)
        filename: str = self.shell.compile.cache(code, execution_count, raw_code=raw)
        if store_history and self.main:
            self.shell.history_manager.store_inputs(execution_count, code, raw)
            self.shell.execution_count = execution_count + 1
        elif store_history and self.namespace is not None:
            self.namespace.record_input(execution_count, code, raw)
        elif store_history:
            self.history.append((execution_count, raw))
        return code, filename

    def transform_ast(self, tree: ast.Module) -> ast.Module:
        result: ast.Module = self.shell.transform_ast(tree)
        return result

    def before_cell(self, cell: Cell) -> None:
        request = current_request.get()
        meta = dict(request.msg.metadata) if request is not None else None  # the request's, as ipykernel
        info = ExecutionInfo(
            cell.raw, cell.store_history, cell.silent, True, cell.cell_id, meta, transformed_cell=cell.code
        )
        record = ExecutionResult(info)
        record.execution_count = cell.execution_count
        self._records[id(cell)] = record
        if cell.silent:
            return
        self.shell.events.trigger("pre_execute")
        self.shell.events.trigger("pre_run_cell", info)
        self.shell.logger.log(cell.code, cell.raw)  # %logstart's log (inactive: nothing)

    def show_error(self, exc: BaseException, compiled: bool = True) -> ErrorInfo:
        cell = current_cell.get()
        cell_file = cell.filename if cell is not None else "<braid>"
        info = show_error(self.shell, exc, self._user_frames(exc.__traceback__), compiled, cell_file)
        if cell is not None and id(cell) in self._records:
            self._shown[id(cell)] = info
        return info

    def after_cell(self, cell: Cell, error: BaseException | None, result: Any, compiled: bool = True) -> None:
        record = self._records.pop(id(cell), None)
        shown = self._shown.pop(id(cell), None)
        if record is None:  # not started by before_cell (cannot happen through the runner)
            return
        if compiled:
            record.error_in_exec = error
        else:
            record.error_before_exec = error
        record.result = result
        # What run_cell leaves behind (%xdel, libraries and extensions read them).
        self.shell.last_execution_succeeded = error is None
        self.shell.last_execution_result = record
        if cell.silent:
            return
        if error is not None and cell.store_history and self.main:
            # an awaiting cell the scheduler cancelled showed nothing itself: it reports cancelled
            self._store_exception(cell.execution_count, error, shown if shown is not None else cell.cancelled)
        self.shell.events.trigger("post_execute")
        self.shell.events.trigger("post_run_cell", record)

    def _store_exception(self, execution_count: int, error: BaseException, shown: ErrorInfo | None) -> None:
        """Record the cell's exception by execution count, as ``run_cell`` does (IPython 9's
        ``%notebook`` exports it as the cell's error output): the error the cell reported (for
        an awaiting cell an interrupt cancelled, the scheduler's report of it; formatting its
        bare KeyboardInterrupt instead made the reply of the kernel's first interrupt wait
        ~5-30 ms for IPython's first traceback), or the traceback IPython would have shown
        when none was (a custom handler that showed none)."""
        exceptions = getattr(self.shell.history_manager, "exceptions", None)
        if exceptions is None:  # IPython before 9 keeps none
            return
        if shown is None or not shown.traceback:
            stb = format_traceback(self.shell, error, self._user_frames(error.__traceback__))
            shown = ErrorInfo(type(error).__name__, str(error), [str(line) for line in stb])
        exceptions[execution_count] = shown.content()

    def display_result(self, value: Any) -> None:
        self.shell.displayhook(value)

    def format_error(self, exc: BaseException) -> ErrorInfo:
        etype, tb = type(exc), self._user_frames(exc.__traceback__)
        stb = format_traceback(self.shell, exc, tb)
        sys.last_type, sys.last_value, sys.last_traceback = etype, exc, tb  # for %tb, %debug
        return ErrorInfo(etype.__name__, str(exc), [str(line) for line in stb])

    def _user_frames(self, tb: TracebackType | None) -> TracebackType | None:
        return user_frames(tb, self.cell_files.is_cell, _is_kernel_file)

    def warm_up(self) -> None:
        """Format one traceback with a private formatter (any thread), so the
        first real error or interrupt does not pay for imports and caches."""
        code = "def _braid_warm_up():\n    return 1 / 0\n_braid_warm_up()\n"
        filename = self.cell_files.register(code)
        shown_by = self.shell.InteractiveTB
        try:  # the shell's colour theme: its pygments style and formatter are built once per theme
            formatter = type(shown_by)(mode=shown_by.mode, theme_name=self.shell.colors)
        except TypeError:  # IPython 8 names it color_scheme
            formatter = type(shown_by)(mode=shown_by.mode, color_scheme=self.shell.colors)
        try:
            exec(compile(code, filename, "exec"), {})
        except ZeroDivisionError as exc:
            formatter.structured_traceback(type(exc), exc, self._user_frames(exc.__traceback__))

    def user_expressions(self, expressions: dict[str, str]) -> JsonDict:
        result: JsonDict = self.shell.user_expressions(expressions)
        return result

    def finish_output(self, cell: Cell) -> None:
        if cell.store_history and self.main:
            self.shell.history_manager.store_output(cell.execution_count)


def _is_kernel_file(filename: str) -> bool:
    return filename.startswith(_PACKAGE_DIR)
