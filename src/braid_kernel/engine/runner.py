"""Running one cell: compile, execute, show the result, report the error.

The runner is where user code meets the kernel.  Every exception the cell
raises — including KeyboardInterrupt from an interrupt and SystemExit — is
the user's error: the shell shows it (see :meth:`ShellHost.show_error`) and it is
returned in the outcome.  Only the cancellation of the cell's own scope (an
interrupt of an awaiting cell) propagates, so the scheduler can see it.
"""

from __future__ import annotations

from typing import Any

import anyio

from braid_kernel.engine.cell import Cell, ErrorInfo, Outcome, Status, current_cell
from braid_kernel.engine.compiler import Part, awaits, compile_cell, start_code
from braid_kernel.engine.fdcapture import FdCapture
from braid_kernel.engine.host import ShellHost
from braid_kernel.routing.context import current_request
from braid_kernel.routing.publisher import Publisher


class CellRunner:
    """Executes cells in a host's namespace and publishes what they produce."""

    def __init__(self, host: ShellHost, publisher: Publisher, fd_output: FdCapture | None = None) -> None:
        self.host = host
        self.publisher = publisher
        self.fd_output = fd_output

    async def run(self, cell: Cell, scope: anyio.CancelScope) -> Outcome:
        """Run ``cell`` (inside ``scope``, which an interrupt cancels).

        The order is IPython's ``run_cell``'s: pre-run events, the code, the
        error shown (custom handlers, ``%pdb``), then post-run events.
        """
        token = current_cell.set(cell)
        if self.fd_output is not None:
            self.fd_output.cell_started(id(cell), current_request.get())
        self.host.before_cell(cell)
        error: BaseException | None = None
        result = None
        compiled = interrupted = False
        try:
            parts = self._compile(cell)
            compiled = True
            namespace = self.host.user_ns
            for part in parts:
                # Evaluated in this frame, which catches what it raises: see start_code.
                value = start_code(part.code, namespace)
                if awaits(part.code):
                    value = await value
                if part.shown:
                    result = value
                    self.host.display_result(value)
        except anyio.get_cancelled_exc_class():
            if scope.cancel_called:
                error, interrupted = KeyboardInterrupt(), True  # the scheduler reports it
                raise
            error = _UserCancelled("a task the cell awaited was cancelled")
        except BaseException as exc:
            error = exc
        finally:
            shown = self._finish(cell, error, result, compiled, interrupted)
            current_cell.reset(token)
        if shown is None:
            return Outcome(Status.OK, result=result)
        return Outcome(Status.ERROR, shown)

    def _finish(
        self, cell: Cell, error: BaseException | None, result: Any, compiled: bool, interrupted: bool
    ) -> ErrorInfo | None:
        """The cell's end, in IPython's order: its fd output, its error shown, the post-run events."""
        if self.fd_output is not None:
            self.fd_output.cell_finished(id(cell))
        shown = None if error is None or interrupted else self.host.show_error(error, compiled)
        self.host.after_cell(cell, error, result, compiled)
        return shown

    def _compile(self, cell: Cell) -> tuple[Part, ...]:
        cell_code = compile_cell(
            cell.code,
            cell.filename,
            self.host.compile_flags,
            self.host.transform_ast,
            self.host.interactivity,
        )
        if cell_code.future_flags:
            self.host.keep_future_flags(cell_code.future_flags)
        return cell_code.parts

    def report(self, exc: BaseException) -> ErrorInfo:
        """Format ``exc`` and publish it as the cell's ``error`` message (an error of
        the kernel's own, e.g. a dataflow conflict: the shell's handlers do not see it)."""
        info = self.host.format_error(exc)
        self.publisher.iopub("error", info.content())
        return info


class _UserCancelled(Exception):
    """A cancellation the cell did not ask for (e.g. it awaited a cancelled task)."""
