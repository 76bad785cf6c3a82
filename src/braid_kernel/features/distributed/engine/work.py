"""What each running cell sent to a cluster, and what to cancel when the cell is interrupted.

The rule (documented in docs/scaling-out.md):

* **Recorded**: every Dask future *created while a cell runs*, by its own
  code or by the tasks and threads it started (they carry the cell in their context), including
  code the cell runs on the other backend's loop through ``run_on``/``%asyncio``.  A future made
  by an earlier cell, or outside any cell (a client's background work), is never this cell's.
* **Cancelled**: when the cell ends because of an **interrupt** (``interrupt_request``, SIGINT),
  every recorded item still pending; an interrupt stops every running cell, so nothing is kept.
  When it ends because of ``%braid cancel N``, which stops that cell while the others go on,
  the pending items *except* those a global name of the notebook refers to (the name itself, or
  an item of a list, tuple, set or dict bound to it): another cell may be awaiting them.
* Finished, failed or already cancelled items are left alone (cancelling a finished Dask future
  would drop its result), and a cell that ends by itself cancels nothing.
* ``enabled = False`` (``%braid cancel-work off``) records and cancels nothing.

Recording holds weak references only: a future the user drops is released by Dask as usual.
Nothing here imports Dask: a :class:`WorkKind` hooks its library right after the user's
first import of it (:class:`~braid_kernel.engine.import_hooks.AfterImport`).
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable, Iterable, Mapping
from typing import Protocol

from braid_kernel.engine.cell import Cell, current_cell
from braid_kernel.engine.scheduler import Ending

__all__ = ("DistributedWork", "WorkKind")

log = logging.getLogger("braid_kernel")

Record = Callable[["WorkKind", object], None]


class WorkKind(Protocol):
    """One library's cancellable work (Dask futures today; Ray's object refs would be another)."""

    name: str

    def install(self, record: Record) -> None:
        """Call ``record(self, item)`` for every item created from now on (hook lazily)."""

    def uninstall(self) -> None:
        """Stop recording; undo what :meth:`install` changed."""

    def pending(self, item: object) -> bool:
        """Whether ``item`` may still be computing (cancelling it changes something)."""

    def cancel(self, items: list[object], reason: str) -> None:
        """Cancel ``items`` (any thread; must not block on the cluster)."""


class _CellWork:
    """The items one cell created, weakly held, per kind."""

    def __init__(self) -> None:
        self.items: dict[WorkKind, weakref.WeakSet[object]] = {}


class DistributedWork:
    """The kernel's record of each running cell's distributed work (see the module's rule).

    ``namespace``: the user namespace of the calling cell (read in the cell's task when
    ``%braid cancel`` ends it); ``kinds``: the libraries to watch."""

    def __init__(self, namespace: Callable[[], Mapping[str, object]], kinds: Iterable[WorkKind]) -> None:
        self._namespace = namespace
        self._kinds = list(kinds)
        self._lock = threading.Lock()
        self._cells: dict[int, tuple[weakref.ref[Cell], _CellWork]] = {}
        self.enabled = True
        self.cancelled_total = 0  # items cancelled over the kernel's life (for %braid cancel-work)

    def install(self) -> None:
        for kind in self._kinds:
            kind.install(self.record)

    def close(self) -> None:
        for kind in self._kinds:
            kind.uninstall()
        with self._lock:
            self._cells.clear()

    def record(self, kind: WorkKind, item: object) -> None:
        """A library hook saw ``item`` created (any thread): note it for the running cell."""
        cell = current_cell.get()
        if cell is None or not self.enabled:
            return
        key = id(cell)
        with self._lock:
            entry = self._cells.get(key)
            if entry is None or entry[0]() is not cell:
                entry = self._cells[key] = (weakref.ref(cell, self._forget(key)), _CellWork())
            work = entry[1]
            try:
                work.items.setdefault(kind, weakref.WeakSet()).add(item)
            except TypeError:  # not weakly referenceable: not tracked rather than kept alive
                log.debug("%s: %r cannot be tracked for cancellation", kind.name, type(item))

    def _forget(self, key: int) -> Callable[[weakref.ref[Cell]], None]:
        def forget(ref: weakref.ref[Cell]) -> None:
            with self._lock:
                if key in self._cells and self._cells[key][0] is ref:
                    del self._cells[key]

        return forget

    def cell_ended(self, cell: Cell, ending: Ending) -> None:
        """The scheduler's ``on_end``: forget the cell's record; cancel by the rule.  Never
        raises: the cell's own outcome is reported whatever happens here."""
        with self._lock:
            entry = self._cells.pop(id(cell), None)
        if entry is None or entry[0]() is not cell or ending is Ending.FINISHED or not self.enabled:
            return
        try:
            self._cancel(entry[1], ending, f"cell [{cell.execution_count}] was {ending.value}")
        except Exception:
            count = cell.execution_count
            log.warning("cancelling the distributed work of cell [%d] failed", count, exc_info=True)

    def _cancel(self, work: _CellWork, ending: Ending, reason: str) -> None:
        kept = _referenced_by_names(self._namespace()) if ending is Ending.CANCELLED else set()
        for kind, items in work.items.items():
            doomed = [item for item in list(items) if id(item) not in kept and _pending(kind, item)]
            if doomed:
                kind.cancel(doomed, reason)
                self.cancelled_total += len(doomed)
                log.info("%s: cancelled %d pending item(s): %s", kind.name, len(doomed), reason)


def _pending(kind: WorkKind, item: object) -> bool:
    try:
        return kind.pending(item)
    except Exception:  # a broken or closed client: nothing to cancel there
        return False


def _referenced_by_names(namespace: Mapping[str, object]) -> set[int]:
    """Ids of the values global names hold, directly or as an item of a list, tuple, set or dict
    bound to a name (one level: what ``futures = client.map(...)`` makes)."""
    ids: set[int] = set()
    for value in list(namespace.values()):
        ids.add(id(value))
        if isinstance(value, (list, tuple, set, frozenset)):
            ids.update(id(item) for item in value)
        elif isinstance(value, dict):
            ids.update(id(item) for item in value.values())
    return ids
