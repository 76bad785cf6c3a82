"""Running one cell: compile, execute, show the result, report the error.

The runner is where user code meets the kernel.  Every exception the cell
raises — including KeyboardInterrupt from an interrupt and SystemExit — is
the user's error: it is formatted, published as an ``error`` message and
returned in the outcome.  Only the cancellation of the cell's own scope (an
interrupt of an awaiting cell) propagates, so the scheduler can see it.
"""

from __future__ import annotations

import anyio

from braid_kernel.engine.cell import Cell, ErrorInfo, Outcome, Status, current_cell
from braid_kernel.engine.compiler import compile_cell, run_code
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
        """Run ``cell`` (inside ``scope``, which an interrupt cancels)."""
        token = current_cell.set(cell)
        if self.fd_output is not None:
            self.fd_output.cell_started(id(cell), current_request.get())
        self.host.before_cell(cell)
        error: BaseException | None = None
        result = None
        try:
            compiled = compile_cell(
                cell.code,
                cell.filename,
                self.host.compile_flags,
                self.host.transform_ast,
                self.host.interactivity,
            )
            namespace = self.host.user_ns
            for part in compiled.parts:
                value = await run_code(part.code, namespace)
                if part.shown:
                    result = value
                    self.host.display_result(value)
        except anyio.get_cancelled_exc_class():
            if scope.cancel_called:
                raise  # our interrupt: the scheduler reports it
            error = _UserCancelled("a task the cell awaited was cancelled")
        except BaseException as exc:
            error = exc
        finally:
            if self.fd_output is not None:
                self.fd_output.cell_finished(id(cell))
            self.host.after_cell(cell, error, result)
            current_cell.reset(token)
        if error is None:
            return Outcome(Status.OK, result=result)
        return Outcome(Status.ERROR, self.report(error))

    def report(self, exc: BaseException) -> ErrorInfo:
        """Format ``exc`` and publish it as the cell's ``error`` message."""
        info = self.host.format_error(exc)
        self.publisher.iopub("error", info.content())
        return info


class _UserCancelled(Exception):
    """A cancellation the cell did not ask for (e.g. it awaited a cancelled task)."""
