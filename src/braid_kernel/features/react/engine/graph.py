"""The dataflow graph of reactive mode: cells as nodes, names as edges.

Pure bookkeeping (no I/O, no running).  Each node is a cell, identified by a key (the frontend's
``cellId``, or a key derived from the names it defines) and given a *position*: the order in which
cells were first run, which stands in for the notebook order the kernel never sees.

**Who provides a name.**  A cell *writes* ``x`` when it binds, deletes or mutates ``x``
(:attr:`CellNames.writes`, plus names its functions bind through ``global``).  A cell that reads
``x`` takes it from the last writer of ``x`` positioned before it; when none is (a forward
reference), from the last writer of ``x`` anywhere.  A star import provides the names nobody
else writes to the cells after it.  So ``df = load()`` … ``df.head()`` … ``df = df.dropna()`` …
``df.describe()`` gives ``head`` the loaded frame and ``describe`` the cleaned one, as running
the cells top to bottom would.

**Order.**  The cells to re-run are put in topological order over these edges, plus one more
constraint that keeps the top-to-bottom outcome: a cell reading ``x`` from writer ``P`` runs
before the next writer of ``x`` after ``P`` (``df.head()`` before ``df = df.dropna()``).  Ties go
to the position.  Cycles raise :class:`~braid_kernel.errors.DataflowCycle` naming the cells and
the names on the cycle.

**Conflicts.**  Two cells that both define ``x`` without reading it (``x = 1`` and ``x = 2``) are
a conflict: it is unclear which value the readers should see.  Names starting with ``_`` are
exempt (the convention for throwaway names), and so is refining (``x = x + 1``) or mutating.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Iterable
from dataclasses import dataclass

from braid_kernel.engine.analysis import CellNames
from braid_kernel.errors import DataflowConflict, DataflowCycle


@dataclass(slots=True)
class Node:
    """One cell of the graph."""

    key: str
    position: int
    names: CellNames

    @property
    def writes(self) -> frozenset[str]:
        return self.names.writes | self.names.global_writes

    @property
    def pure_defines(self) -> frozenset[str]:
        """Names this cell defines without reading them first (conflict candidates)."""
        return frozenset(n for n in self.names.defines - self.names.reads if not n.startswith("_"))


@dataclass(frozen=True, slots=True)
class Edge:
    """``source`` provides ``names`` to ``target``."""

    source: str
    target: str
    names: frozenset[str]


class DataflowGraph:
    """Cells, who provides which name to whom, and in which order dependents re-run."""

    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}
        self._next_position = 0
        self._dirty = True
        self._providers: dict[str, dict[str, str]] = {}  # reader -> name -> provider
        self._successors: dict[str, dict[str, set[str]]] = {}  # provider -> reader -> names
        self._before: dict[str, set[str]] = {}  # must run before: reader -> next writers

    # ------------------------------------------------------------------ changes

    def upsert(self, key: str, names: CellNames) -> Node | None:
        """Add cell ``key`` or give it new names (keeping its position); returns the
        node it replaced (for :meth:`restore`), or None when it is new."""
        old = self.nodes.get(key)
        if old is not None and old.names == names:
            return old
        position = old.position if old is not None else self._take_position()
        self.nodes[key] = Node(key, position, names)
        self._dirty = True
        return old

    def restore(self, key: str, old: Node | None) -> None:
        """Undo an :meth:`upsert` (the cell was rejected)."""
        if old is None:
            self.nodes.pop(key, None)
        else:
            self.nodes[key] = old
        self._dirty = True

    def remove(self, key: str) -> Node | None:
        node = self.nodes.pop(key, None)
        if node is not None:
            self._dirty = True
        return node

    def _take_position(self) -> int:
        self._next_position += 1
        return self._next_position

    # ------------------------------------------------------------------ queries

    def provider(self, key: str, name: str) -> str | None:
        """The cell ``key`` takes ``name`` from, or None when no cell writes it."""
        self._build()
        return self._providers.get(key, {}).get(name)

    def edges(self) -> list[Edge]:
        """Every provider → reader edge, with the names passed."""
        self._build()
        return [
            Edge(source, target, frozenset(names))
            for source, readers in self._successors.items()
            for target, names in readers.items()
        ]

    def descendants(self, keys: Iterable[str]) -> set[str]:
        """The cells that depend, directly or not, on any of ``keys`` (excluding them
        unless they depend on each other or on themselves)."""
        self._build()
        seen: set[str] = set()
        stack = list(keys)
        while stack:
            for reader in self._successors.get(stack.pop(), ()):
                if reader not in seen:
                    seen.add(reader)
                    stack.append(reader)
        return seen

    def order(self, keys: Iterable[str]) -> list[str]:
        """``keys`` in an order that respects every dependency among them;
        :class:`DataflowCycle` if there is none."""
        preds = self.dependencies(keys)
        succs: dict[str, set[str]] = {k: set() for k in preds}
        for target, sources in preds.items():
            for source in sources:
                succs[source].add(target)
        waiting = {k: len(sources) for k, sources in preds.items()}
        ready = [(self.nodes[k].position, k) for k, n in waiting.items() if not n]
        heapq.heapify(ready)
        result: list[str] = []
        while ready:
            _, key = heapq.heappop(ready)
            result.append(key)
            for target in succs[key]:
                waiting[target] -= 1
                if not waiting[target]:
                    heapq.heappush(ready, (self.nodes[target].position, target))
        if len(result) < len(preds):
            stuck = sorted((k for k, n in waiting.items() if n), key=self._pos)
            raise DataflowCycle(self.describe_cycle(self.find_cycle(stuck) or stuck))
        return result

    def dependencies(self, keys: Iterable[str]) -> dict[str, set[str]]:
        """For each of ``keys``, the others among ``keys`` that must run before it: its
        providers, and the cells that must read a name before it overwrites it."""
        self._build()
        wanted = set(keys)
        preds: dict[str, set[str]] = {k: set() for k in wanted}
        for source in wanted:
            for target in self._successors.get(source, ()):
                if target in wanted and target != source:
                    preds[target].add(source)
            for later in self._before.get(source, ()):
                if later in wanted and later != source:
                    preds[later].add(source)
        return preds

    def providers_of(self, key: str) -> set[str]:
        """The cells ``key`` reads a name from."""
        self._build()
        return set(self._providers.get(key, {}).values())

    def find_cycle(self, among: Iterable[str] | None = None) -> list[str] | None:
        """One cycle of provider → reader edges (cells in order), or None."""
        self._build()
        starts = list(among) if among is not None else sorted(self.nodes, key=self._pos)
        state: dict[str, int] = {}  # 1 = on the stack, 2 = done
        for start in starts:
            if state.get(start):
                continue
            path: list[str] = [start]
            iters = [iter(sorted(self._successors.get(start, ()), key=self._pos))]
            state[start] = 1
            while iters:
                nxt = next(iters[-1], None)
                if nxt is None:
                    state[path.pop()] = 2
                    iters.pop()
                elif state.get(nxt) == 1:
                    return path[path.index(nxt) :]
                elif not state.get(nxt):
                    state[nxt] = 1
                    path.append(nxt)
                    iters.append(iter(sorted(self._successors.get(nxt, ()), key=self._pos)))
        return None

    def cycle_through(self, key: str) -> list[str] | None:
        """A cycle that ``key`` is on, or None."""
        if key not in self.descendants([key]):
            return None
        return self.find_cycle([key])

    def describe_cycle(self, cycle: list[str]) -> str:
        parts = []
        for index, source in enumerate(cycle):
            target = cycle[(index + 1) % len(cycle)]
            names = sorted(self._successors.get(source, {}).get(target, ()))
            parts.append(f"{source!r} -> {target!r} ({', '.join(names) or '?'})")
        return "cells depend on each other in a cycle: " + "; ".join(parts)

    def conflicts(self, key: str) -> dict[str, list[str]]:
        """Names that cell ``key`` and other cells both define without reading
        (``{name: [other cells]}``)."""
        node = self.nodes.get(key)
        if node is None:
            return {}
        found: dict[str, list[str]] = {}
        mine = node.pure_defines
        if not mine:
            return found
        for other in self.nodes.values():
            if other.key != key:
                for name in mine & other.pure_defines:
                    found.setdefault(name, []).append(other.key)
        return found

    def check(self, key: str) -> None:
        """Raise :class:`DataflowConflict` or :class:`DataflowCycle` if cell ``key``
        conflicts with another cell or lies on a cycle."""
        conflicts = self.conflicts(key)
        if conflicts:
            described = "; ".join(
                f"{name!r} by {', '.join(repr(k) for k in sorted({key, *others}, key=self._pos))}"
                for name, others in sorted(conflicts.items())
            )
            raise DataflowConflict(
                f"names defined by more than one cell: {described} "
                "(define each name in one cell, refine it with x = f(x), or prefix throwaway names with _)"
            )
        cycle = self.cycle_through(key)
        if cycle is not None:
            raise DataflowCycle(self.describe_cycle(cycle))

    # ------------------------------------------------------------------ edges

    def _pos(self, key: str) -> int:
        return self.nodes[key].position

    def _build(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        nodes = sorted(self.nodes.values(), key=lambda n: n.position)
        writers: dict[str, list[Node]] = {}
        stars: list[Node] = []
        for node in nodes:
            for name in node.writes:
                writers.setdefault(name, []).append(node)
            if node.names.star_import:
                stars.append(node)
        positions = {name: [n.position for n in ws] for name, ws in writers.items()}
        providers: dict[str, dict[str, str]] = {}
        successors: dict[str, dict[str, set[str]]] = {}
        before: dict[str, set[str]] = {}
        for node in nodes:
            mine: dict[str, str] = {}
            for name in node.names.reads:
                source = self._find_provider(node, name, writers, positions, stars)
                if source is None:
                    continue
                mine[name] = source.key
                successors.setdefault(source.key, {}).setdefault(node.key, set()).add(name)
                after = self._next_writer(source, node, name, writers, positions)
                if after is not None:
                    before.setdefault(node.key, set()).add(after.key)
            providers[node.key] = mine
        self._providers, self._successors, self._before = providers, successors, before

    @staticmethod
    def _find_provider(
        node: Node,
        name: str,
        writers: dict[str, list[Node]],
        positions: dict[str, list[int]],
        stars: list[Node],
    ) -> Node | None:
        candidates = writers.get(name)
        if candidates:
            index = bisect.bisect_left(positions[name], node.position)
            for candidate in reversed(candidates[:index]):
                if candidate is not node:
                    return candidate
            for candidate in reversed(candidates):
                if candidate is not node:
                    return candidate
            return None
        earlier = [s for s in stars if s.position < node.position]
        return earlier[-1] if earlier else None

    @staticmethod
    def _next_writer(
        source: Node, reader: Node, name: str, writers: dict[str, list[Node]], positions: dict[str, list[int]]
    ) -> Node | None:
        """The writer of ``name`` after ``source`` that is not ``reader`` itself: it must
        run after ``reader`` has read ``source``'s value."""
        candidates = writers.get(name, [])
        index = bisect.bisect_right(positions.get(name, []), source.position)
        return next((c for c in candidates[index:] if c is not reader), None)
