"""Cache mode's decisions: is a cell cacheable, what is its key, what does it leave behind.

:class:`CellCache` is one kernel's cache: on or off (``%braid cache on|off``, or the ``cache``
mode at startup), the store, and counters for ``%braid cache info``.  The runner asks it for a
:class:`Plan` before a cell runs (``None`` or a reason when the cell is not cacheable), looks the
plan's key up, and after a successful miss hands it what the cell changed to store.

What a cell changes is found at run time, not guessed: the names the cell may bind or delete
(static analysis) whose object is no longer the same after the run, plus the inputs whose
fingerprint changed (mutated in place, also by a function the cell called).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from braid_kernel.engine.cell import Cell
from braid_kernel.features.cache.engine.entry import (
    Entry,
    StaleReference,
    Unpicklable,
    dump_entry,
    load_entry,
)
from braid_kernel.features.cache.engine.fingerprint import Fingerprinter, Unhashable
from braid_kernel.features.cache.engine.key import DYNAMIC_NAMES, CellCode, cell_key, input_names, read_cell
from braid_kernel.features.cache.engine.recording import Recording
from braid_kernel.features.cache.engine.store import CacheStore
from braid_kernel.units import format_size

__all__ = ("CacheCounts", "CellCache", "Plan")

log = logging.getLogger("braid_kernel.cache")

_NOCACHE = re.compile(r"\s*#\s*braid:\s*nocache\b", re.IGNORECASE)
_BRAID_MAGIC = re.compile(r"\s*%braid\b")
_MISSING = object()
# Values no cell can change in place: not fingerprinted again after a run.
_IMMUTABLE = (int, float, complex, str, bytes, bool, type(None), ModuleType)


@dataclass(slots=True)
class CacheCounts:
    """What the cache did in this kernel session."""

    hits: int = 0
    misses: int = 0
    stored: int = 0
    not_cached: int = 0


@dataclass(slots=True)
class Plan:
    """A cacheable cell about to run: its key and what is needed to store it afterwards."""

    key: str
    code: CellCode
    inputs: dict[str, bytes]
    before: dict[str, Any] = field(default_factory=dict)  # candidate outputs' objects before the run

    @property
    def candidates(self) -> frozenset[str]:
        """Names the cell may bind, delete or change."""
        names = self.code.names
        return names.defines | names.mutates | names.deletes | names.global_writes


class CellCache:
    """One kernel's cell cache.

    ``open_store`` makes the store on first use (finding the default cache directory costs
    milliseconds a kernel without cache mode need not pay).  ``record_output(True)`` makes the
    output streams copy cell output into recordings; it is called before each cached run, and
    with False when cache mode is turned off.
    """

    def __init__(
        self,
        open_store: Callable[[], CacheStore],
        enabled: bool = False,
        record_output: Callable[[bool], None] | None = None,
    ) -> None:
        self.enabled = enabled
        self.counts = CacheCounts()
        self.last_not_cached: tuple[int, str] | None = None  # (execution count, reason)
        self._open_store = open_store
        self._store: CacheStore | None = None
        self._record_output = record_output
        self._versions: dict[str, str] = {}
        self.scope = ""  # part of every key: a multi-mode session's entries are its own

    def scoped(self, scope: str) -> CellCache:
        """A cache for one multi-mode session: the same store, on or off as this one is now,
        its own counters and keys."""
        sibling = CellCache(lambda: self.store, self.enabled, self._record_output)
        sibling.scope = scope
        return sibling

    @property
    def store(self) -> CacheStore:
        if self._store is None:
            self._store = self._open_store()
        return self._store

    def enable(self) -> None:
        self.enabled = True

    def disable(self) -> None:
        self.enabled = False
        if self._record_output is not None:
            self._record_output(False)

    def prepare_recording(self) -> None:
        """Make sure cell output reaches recordings (cheap when it already does)."""
        if self._record_output is not None:
            self._record_output(True)

    # ------------------------------------------------------------ before the run
    def plan(self, cell: Cell, namespace: dict[str, Any]) -> Plan | None:
        """The cell's plan, or None when it is not cacheable (the reason is recorded)."""
        if _BRAID_MAGIC.match(cell.raw):
            return None  # %braid commands (e.g. %braid cache info) are not worth a report
        if _opted_out(cell):
            self.counts.not_cached += 1  # the user's choice: nothing to explain in %braid cache info
            return None
        try:
            code = read_cell(cell.code)
        except SyntaxError:
            return None  # the run reports it
        reason = _static_refusal(code)
        if reason is not None:
            self._not_cached(cell, reason)
            return None
        names = input_names(code, namespace)
        try:
            inputs = self._fingerprinter(namespace).names(namespace, names)
        except Unhashable as exc:
            self._not_cached(cell, str(exc))
            return None
        plan = Plan(cell_key(code, inputs, self.scope), code, inputs)
        plan.before = {name: namespace.get(name, _MISSING) for name in plan.candidates}
        return plan

    def _fingerprinter(self, namespace: dict[str, Any]) -> Fingerprinter:
        return Fingerprinter(str(namespace.get("__name__", "__main__")), self._versions)

    def _not_cached(self, cell: Cell, reason: str) -> None:
        self.counts.not_cached += 1
        self.last_not_cached = (cell.execution_count, reason)
        log.info("cell [%s] not cached: %s", cell.execution_count, reason)

    # ------------------------------------------------------------ lookup
    def lookup(self, plan: Plan, namespace: dict[str, Any]) -> Entry | None:
        """The stored entry for ``plan`` (a hit), or None (a miss; also for a corrupt entry)."""
        payload = self.store.get(plan.key)
        entry: Entry | None = None
        if payload is not None:
            try:
                entry = load_entry(payload, namespace)
            except StaleReference as exc:
                log.info("cache entry %s not restored: %s", plan.key, exc)
            except Exception as exc:
                self.store.discard(plan.key, f"unreadable ({type(exc).__name__}: {exc})")
        if entry is None:
            self.counts.misses += 1
        else:
            self.counts.hits += 1
        return entry

    # ------------------------------------------------------------ after a miss
    def save(self, plan: Plan, cell: Cell, namespace: dict[str, Any], recording: Recording) -> bool:
        """Store what the cell left behind; False (reason recorded) when it cannot be stored."""
        if recording.blocked is not None:
            self._not_cached(cell, f"its output cannot be replayed: {recording.blocked}")
            return False
        try:
            entry = self._entry(plan, namespace, recording)
            self.store.put(plan.key, dump_entry(entry, namespace))
        except (Unhashable, Unpicklable, ValueError) as exc:
            self._not_cached(cell, str(exc))
            return False
        self.counts.stored += 1
        return True

    def _entry(self, plan: Plan, namespace: dict[str, Any], recording: Recording) -> Entry:
        changed = {
            name for name, before in plan.before.items() if namespace.get(name, _MISSING) is not before
        }
        changed |= plan.code.names.mutates & namespace.keys()
        changed |= self._mutated_inputs(plan, namespace)
        values = {name: namespace[name] for name in sorted(changed) if name in namespace}
        deleted = tuple(sorted(name for name in changed if name not in namespace))
        return Entry(values, deleted, tuple(recording.compacted()))

    def _mutated_inputs(self, plan: Plan, namespace: dict[str, Any]) -> set[str]:
        """Inputs changed in place by the run (re-fingerprinted; values that cannot change are skipped)."""
        candidates = [
            name for name in plan.inputs if name in namespace and not isinstance(namespace[name], _IMMUTABLE)
        ]
        after = self._fingerprinter(namespace).names(namespace, candidates)
        return {name for name in candidates if after[name] != plan.inputs[name]}

    # ------------------------------------------------------------ reporting
    def info(self) -> str:
        """What ``%braid cache info`` prints."""
        stats = self.store.stats()
        counts = self.counts
        lines = [
            f"cache: {'on' if self.enabled else 'off'}",
            f"location: {self.store.directory}",
            f"size: {stats.entries} entries, {format_size(stats.size)} of {format_size(self.store.limit)}",
            f"this session: {counts.hits} hits, {counts.misses} misses, {counts.stored} stored, "
            f"{counts.not_cached} not cached",
        ]
        if self.store.refused is not None:
            lines.append(f"not used: {self.store.refused}")
        if self.store.write_error is not None:
            lines.append(f"last write error: {self.store.write_error}")
        if self.last_not_cached is not None:
            count, reason = self.last_not_cached
            lines.append(f"last cell not cached: [{count}] {reason}")
        return "\n".join(lines)


def _opted_out(cell: Cell) -> bool:
    """``# braid: nocache`` (or ``%%braid nocache``, turned into it) on the cell's first line."""
    return bool(_NOCACHE.match(cell.code.lstrip("\n").partition("\n")[0]))


def _static_refusal(code: CellCode) -> str | None:
    """Why the code's inputs and outputs cannot be known from its source, if they cannot."""
    names = code.names
    if code.mentions(("get_ipython",)):
        return "it uses IPython magics, shell commands or get_ipython(), whose effects cannot be analysed"
    if names.star_import:
        return "it runs `from ... import *`, which binds names that cannot be known in advance"
    dynamic = sorted(code.mentions(DYNAMIC_NAMES))
    if dynamic:
        return f"it calls {', '.join(dynamic)}, which read or bind names that cannot be known in advance"
    return None
