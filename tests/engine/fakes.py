"""A scheduler and runner on a fake shell: the engine without IPython or sockets.

:class:`FakeHost` implements :class:`~braid_kernel.engine.host.ShellHost` with a plain dict as the
namespace; :class:`Rig` wires it to a real :class:`CellRunner`, :class:`Scheduler` and
:class:`Publisher` whose outbox the tests read.
"""

from __future__ import annotations

import ast
import itertools
import time
from typing import Any

from braid_kernel.engine.cell import Cell, ErrorInfo, Outcome
from braid_kernel.engine.runner import CellRunner
from braid_kernel.engine.scheduler import Ending, Scheduler
from braid_kernel.routing.publisher import Publisher
from braid_kernel.transport.outbox import Outbox, Outgoing
from braid_kernel.wire.message import JsonDict


class FakeHost:
    """The shell as the engine sees it, recording what the engine asks of it."""

    def __init__(self, publisher: Publisher) -> None:
        self.publisher = publisher
        self.namespace: dict[str, Any] = {}
        self.results: list[Any] = []
        self.events: list[str] = []
        self.future_flags = 0

    @property
    def user_ns(self) -> dict[str, Any]:
        return self.namespace

    @property
    def compile_flags(self) -> int:
        return self.future_flags

    def keep_future_flags(self, flags: int) -> None:
        self.future_flags |= flags

    @property
    def interactivity(self) -> str:
        return "last_expr"

    def prepare(self, raw: str, execution_count: int, store_history: bool) -> tuple[str, str]:
        del store_history
        return raw, f"<cell-{execution_count}>"

    def transform_ast(self, tree: ast.Module) -> ast.Module:
        return tree

    def before_cell(self, cell: Cell) -> None:
        self.events.append(f"before {cell.execution_count}")

    def show_error(self, exc: BaseException, compiled: bool = True) -> ErrorInfo:
        self.events.append(f"shown {type(exc).__name__}{'' if compiled else ' (compiling)'}")
        info = self.format_error(exc)
        self.publisher.iopub("error", info.content())
        return info

    def after_cell(self, cell: Cell, error: BaseException | None, result: Any, compiled: bool = True) -> None:
        del result, compiled
        self.events.append(f"after {cell.execution_count} {type(error).__name__ if error else 'ok'}")

    def display_result(self, value: Any) -> None:
        if value is not None:
            self.results.append(value)

    def format_error(self, exc: BaseException) -> ErrorInfo:
        return ErrorInfo(type(exc).__name__, str(exc), [f"{type(exc).__name__}: {exc}"])

    def user_expressions(self, expressions: dict[str, str]) -> JsonDict:
        return {name: {"status": "ok"} for name in expressions}

    def finish_output(self, cell: Cell) -> None:
        del cell


class Rig:
    """A scheduler over a runner over a :class:`FakeHost`."""

    def __init__(self, chained: bool = True) -> None:
        self.outbox = Outbox()
        self.host = FakeHost(Publisher(self.outbox))
        self.runner = CellRunner(self.host, self.host.publisher)
        self.endings: list[tuple[int, Ending]] = []  # (execution count, how it ended), in order
        self.scheduler = Scheduler(self.runner, chained=chained, on_end=self._ended)
        self._counts = itertools.count(1)

    def _ended(self, cell: Cell, how: Ending) -> None:
        self.endings.append((cell.execution_count, how))

    def cell(self, code: str, **fields: Any) -> Cell:
        count = next(self._counts)
        fields.setdefault("received", time.monotonic())
        return Cell(code, code, count, f"<cell-{count}>", **fields)

    async def run(self, code: str, **fields: Any) -> Outcome:
        return await self.scheduler.run(self.cell(code, **fields))

    def published(self, msg_type: str) -> list[JsonDict]:
        """Contents of the IOPub messages of ``msg_type`` queued so far."""
        return [
            item.content
            for item in self.outbox.items
            if isinstance(item, Outgoing) and item.msg_type == msg_type
        ]
