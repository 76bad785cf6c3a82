"""The execute_request handler: counts, execute_input, the reply.

Execution counts are assigned when a request arrives (so a queued cell has
its number before it runs); ``silent`` or ``store_history=False`` requests
do not take one.  ``execute_input`` is published when the cell starts.
"""

from __future__ import annotations

from datetime import UTC, datetime

from braid_kernel.engine.cell import Cell, Outcome, Status
from braid_kernel.engine.host import ShellHost
from braid_kernel.engine.scheduler import Scheduler
from braid_kernel.routing.context import Request
from braid_kernel.routing.dispatch import Reply
from braid_kernel.routing.publisher import Publisher
from braid_kernel.wire.message import JsonDict


class ExecutionCounter:
    """The shell's execution count: the number of the last counted cell."""

    def __init__(self, start: int = 0) -> None:
        self.value = start

    def next(self) -> int:
        self.value += 1
        return self.value


class ExecuteHandler:
    """Turns execute_requests into cells, runs them, and builds the reply."""

    def __init__(
        self,
        host: ShellHost,
        scheduler: Scheduler,
        publisher: Publisher,
        counter: ExecutionCounter | None = None,
    ) -> None:
        self.host = host
        self.scheduler = scheduler
        self.publisher = publisher
        self.counter = counter or ExecutionCounter()

    def make_cell(self, request: Request) -> Cell:
        """Build the cell for ``request``: assign its count, transform its code."""
        raw = request.field("code", "")
        raw = raw if isinstance(raw, str) else str(raw)
        silent = request.silent
        store_history = bool(request.field("store_history", True)) and not silent
        count = self.counter.next() if store_history else self.counter.value
        code, filename = self.host.prepare(raw, count, store_history)
        cell_id = request.msg.metadata.get("cellId")
        return Cell(
            raw=raw,
            code=code,
            execution_count=count,
            filename=filename,
            store_history=store_history,
            silent=silent,
            stop_on_error=bool(request.field("stop_on_error", True)),
            cell_id=cell_id if isinstance(cell_id, str) else None,
            received=request.received,
        )

    async def __call__(self, request: Request) -> Reply:
        started = datetime.now(UTC)
        try:
            cell = self.make_cell(request)
        except Exception as exc:
            info = self.host.format_error(exc)
            self.publisher.iopub("error", info.content())
            content = {
                "status": "error",
                "execution_count": self.counter.value,
                **info.content(),
                "user_expressions": {},
                "payload": [],
            }
            return Reply(content, {"started": started, "status": "error"})

        def announce() -> None:
            if not cell.silent:
                self.publisher.iopub(
                    "execute_input", {"code": cell.raw, "execution_count": cell.execution_count}
                )

        outcome = await self.scheduler.run(cell, announce)
        self.host.finish_output(cell)
        return Reply(
            self.reply_content(cell, outcome, request),
            {"started": started, "status": outcome.status.value, "dependencies_met": True, **cell.metadata},
        )

    def reply_content(self, cell: Cell, outcome: Outcome, request: Request) -> JsonDict:
        content: JsonDict = {"status": outcome.status.value, "execution_count": cell.execution_count}
        if outcome.status is Status.ABORTED:
            return content
        if outcome.error is not None:
            content.update(outcome.error.content())
            content["user_expressions"] = {}
        else:
            expressions = request.field("user_expressions") or {}
            content["user_expressions"] = (
                self.host.user_expressions(expressions) if isinstance(expressions, dict) else {}
            )
        content["payload"] = cell.payloads
        return content
