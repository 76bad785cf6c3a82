"""The cache-aware cell runner: restore a known cell instead of running it.

:class:`CachingRunner` wraps a :class:`~braid_kernel.engine.runner.CellRunner` (the cells run
through it): while cache mode is on, it asks the
:class:`~braid_kernel.features.cache.engine.cache.CellCache` for the cell's key before running it:

* **hit** — the stored values are bound (and deleted names removed) and the recorded outputs are
  published again in order, the ``execute_result`` with this cell's execution count; the cell's
  code does not run;
* **miss** — the cell runs with a :class:`~braid_kernel.features.cache.engine.recording.Recording`
  of its outputs (an output tap, :mod:`braid_kernel.routing.taps`); if it succeeded, what it
  changed is stored;
* **not cacheable** — the cell just runs (the reason shows in ``%braid cache info``).

The reply's metadata says which: ``{"braid": {"cache": "hit" | "miss" | "skip"}}``.  A failure
of the cache itself is logged and the cell runs as if cache mode were off.
"""

from __future__ import annotations

import logging
from typing import Any

import anyio

from braid_kernel.engine.cell import Cell, Outcome, Status
from braid_kernel.engine.runner import CellRunner
from braid_kernel.features.cache.engine.cache import CellCache, Plan
from braid_kernel.features.cache.engine.entry import Entry
from braid_kernel.features.cache.engine.recording import MessageEvent, Recording, StreamEvent
from braid_kernel.routing.context import current_request
from braid_kernel.routing.taps import tapping

__all__ = ("CachingRunner",)

log = logging.getLogger("braid_kernel.cache")


class CachingRunner(CellRunner):
    """Runs cells through ``cache`` while it is enabled; they run through ``inner``."""

    def __init__(self, inner: CellRunner, cache: CellCache) -> None:
        super().__init__(inner.host, inner.publisher, inner.fd_output)
        self.inner = inner
        self.cache = cache

    async def run(self, cell: Cell, scope: anyio.CancelScope) -> Outcome:
        if not self.cache.enabled or cell.silent:
            return await self.inner.run(cell, scope)
        self.cache.prepare_recording()
        namespace = self.host.user_ns
        plan, entry = self._look_up(cell, namespace)
        if plan is None:
            _tell(cell, "skip")
            return await self.inner.run(cell, scope)
        if entry is not None:
            self._restore(cell, entry, namespace)
            _tell(cell, "hit")
            return Outcome(Status.OK)
        _tell(cell, "miss")
        return await self._run_and_store(cell, scope, plan, namespace)

    def _look_up(self, cell: Cell, namespace: dict[str, Any]) -> tuple[Plan | None, Entry | None]:
        try:
            plan = self.cache.plan(cell, namespace)
            return plan, None if plan is None else self.cache.lookup(plan, namespace)
        except Exception:
            log.warning("cache lookup failed; running the cell uncached", exc_info=True)
            return None, None

    async def _run_and_store(
        self, cell: Cell, scope: anyio.CancelScope, plan: Plan, namespace: dict[str, Any]
    ) -> Outcome:
        request = current_request.get()
        recording = Recording({} if request is None else request.header)
        try:
            with tapping(recording):
                outcome = await self.inner.run(cell, scope)
        finally:
            recording.close()
        if outcome.status is Status.OK and not scope.cancel_called:
            try:
                self.cache.save(plan, cell, namespace, recording)
            except Exception:
                log.warning("storing cell [%s] in the cache failed", cell.execution_count, exc_info=True)
        return outcome

    def _restore(self, cell: Cell, entry: Entry, namespace: dict[str, Any]) -> None:
        for name in entry.deleted:
            namespace.pop(name, None)
        namespace.update(entry.values)
        request = current_request.get()
        for event in entry.outputs:
            if isinstance(event, StreamEvent):
                if request is not None:
                    self.publisher.stream(event.name, event.text, request)
            elif isinstance(event, MessageEvent):
                content = event.content
                if event.msg_type == "execute_result":
                    content = {**content, "execution_count": cell.execution_count}
                self.publisher.iopub(event.msg_type, content, metadata=event.metadata)


def _tell(cell: Cell, what: str) -> None:
    """Say in the reply's metadata what the cache did with the cell."""
    cell.metadata.setdefault("braid", {})["cache"] = what
