"""Static analysis of a cell: which top-level names it binds, reads and changes.

Pure (stdlib ``ast`` only, no IPython). It reads the *transformed* Python source of a cell, that is
after IPython turned ``%magic`` and ``!cmd`` lines into ``get_ipython().run_line_magic(...)`` calls
(such a line reads ``get_ipython`` and nothing else). Top-level ``await``, ``async for`` and
``async with`` parse like any other statement.

The API (stable: reactive mode and cache mode both build on it)::

    analyse(source: str) -> CellNames        # raises SyntaxError for invalid code

    CellNames (frozen):
      defines          names bound at top level while the cell runs: assignment (plain, augmented,
                       annotated with a value), import / import-as / from-import, def, class,
                       for / async for / with / except targets, walrus (also inside
                       comprehensions), match captures, and ``del name`` (a deleted name counts
                       as defined: its value changed).
      reads            names the cell takes from outside: ``immediate_reads`` plus the globals
                       read inside the functions, lambdas and classes it defines (their free
                       names, leaving out the names the cell itself defines).  Builtins excluded.
      immediate_reads  the subset read while the cell's own code runs, before the cell binds them
                       (``x = x + 1`` reads ``x``): top-level expressions, default arguments,
                       decorators, annotations, base classes, class bodies, comprehensions
                       (with Python's scoping: their targets are local, the first iterable is
                       evaluated outside).  Function and lambda bodies run later, so their reads
                       are only in ``reads``.
      mutates          top-level names changed in place: ``x[k] = v``, ``x.attr = v``,
                       ``del x[k]``, ``x.a[k] += 1``, and calls of well-known mutating methods on a
                       name (``x.append(...)``, ``x.update(...)``, see ``MUTATING_METHODS``) or any
                       method call with ``inplace=True`` (pandas).  Each is a read and a write of
                       ``x``: a mutated name the cell did not bind before is also in
                       ``immediate_reads``.  Other method calls (``df.head()``, ``np.zeros()``)
                       are reads only.
      deletes          names removed with ``del name`` at top level (also in ``defines``; a name
                       deleted before being bound is also a read).
      global_writes    names that functions of the cell bind through ``global`` when *called*
                       (``def f(): global n; n = 1``); not in ``defines``, because defining ``f``
                       binds nothing but ``f``.
      functions        for each top-level ``def`` / ``class``: the global names its body reads
                       (class bodies, methods, nested functions; builtins excluded, names the
                       cell defines included).
      star_import      the cell runs ``from m import *``: it may bind any name.
      writes           property: ``defines | mutates``.

What it does not see (the graph must tolerate it): names bound or read dynamically (``exec``,
``globals()[...]``, ``setattr(obj, ...)``), mutation through aliases or through calls of ordinary
functions, and the names a star import binds.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum, auto
from types import MappingProxyType

__all__ = ("MUTATING_METHODS", "CellNames", "analyse")

BUILTIN_NAMES = frozenset(vars(builtins))

#: Method names whose call on a name counts as changing that name in place.
MUTATING_METHODS = frozenset(
    {
        # list / deque / bytearray
        "append",
        "appendleft",
        "extend",
        "extendleft",
        "insert",
        "remove",
        "pop",
        "popleft",
        "clear",
        "sort",
        "reverse",
        "rotate",
        # dict / set
        "update",
        "setdefault",
        "popitem",
        "add",
        "discard",
        "difference_update",
        "intersection_update",
        "symmetric_difference_update",
        # dunders called by hand
        "__setitem__",
        "__delitem__",
        "__setattr__",
        "__delattr__",
        "__iadd__",
        # numpy in-place spellings
        "fill",
        "resize",
    }
)


@dataclass(frozen=True, slots=True)
class CellNames:
    """What one cell binds, reads and changes at top level (see the module docstring)."""

    defines: frozenset[str] = frozenset()
    reads: frozenset[str] = frozenset()
    immediate_reads: frozenset[str] = frozenset()
    mutates: frozenset[str] = frozenset()
    deletes: frozenset[str] = frozenset()
    global_writes: frozenset[str] = frozenset()
    functions: Mapping[str, frozenset[str]] = field(default_factory=lambda: MappingProxyType({}), hash=False)
    star_import: bool = False

    @property
    def writes(self) -> frozenset[str]:
        """Every name whose value the cell may change: bound, deleted or mutated in place."""
        return self.defines | self.mutates


def analyse(source: str) -> CellNames:
    """Analyse one cell's (transformed) Python source; ``SyntaxError`` if it does not parse."""
    tree = ast.parse(source, mode="exec")
    block = _Block(module=True)
    for stmt in tree.body:
        block.visit(stmt)
    return _module_names(block)


# --- events -------------------------------------------------------------------------------------


class _Op(Enum):
    LOAD = auto()
    STORE = auto()
    DELETE = auto()
    MUTATE = auto()
    WALRUS = auto()  # a := inside a comprehension: binds in the enclosing non-comprehension scope
    GLOBAL_LOAD = auto()  # read of a name a nested scope declared ``global``
    GLOBAL_STORE = auto()  # write of a name a nested scope declared ``global``


@dataclass(frozen=True, slots=True)
class _Event:
    op: _Op
    name: str
    deferred: bool = False  # happens when a function defined here is called, not now
    nested: bool = False  # comes from an inner scope: a class scope does not resolve it


_BINDING = (_Op.STORE, _Op.DELETE)


class _Block(ast.NodeVisitor):
    """The name events of one scope's code, in evaluation order; inner scopes are summarised."""

    def __init__(self, *, module: bool = False, comprehension: bool = False) -> None:
        self.events: list[_Event] = []
        self.globals: set[str] = set()
        self.nonlocals: set[str] = set()
        self.module = module
        self.comprehension = comprehension
        self.star_import = False
        self.functions: dict[str, frozenset[str]] = {}

    def emit(self, op: _Op, name: str) -> None:
        self.events.append(_Event(op, name))

    def adopt(self, events: Iterable[_Event], *, deferred: bool) -> None:
        """Take the events an inner scope leaves unresolved, as seen from this scope."""
        for ev in events:
            op = ev.op
            if op is _Op.WALRUS and not self.comprehension:
                op = _Op.STORE
            self.events.append(_Event(op, ev.name, deferred or ev.deferred, nested=True))

    # names and bindings

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self.emit(_Op.LOAD, node.id)
        elif isinstance(node.ctx, ast.Store):
            self.emit(_Op.STORE, node.id)
        else:
            self.emit(_Op.DELETE, node.id)

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        for target in node.targets:
            self.visit(target)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        if isinstance(node.target, ast.Name):
            self.emit(_Op.LOAD, node.target.id)
            self.visit(node.value)
            self.emit(_Op.STORE, node.target.id)
        else:
            self.visit(node.target)
            self.visit(node.value)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self.visit(node.annotation)
        if node.value is not None:
            self.visit(node.value)
            self.visit(node.target)
        elif not isinstance(node.target, ast.Name):
            self.visit(node.target)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        self.emit(_Op.WALRUS if self.comprehension else _Op.STORE, node.target.id)

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        self.visit(node.iter)
        self.visit(node.target)
        self._body(node.body)
        self._body(node.orelse)

    visit_AsyncFor = visit_For

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.type is not None:
            self.visit(node.type)
        if node.name:
            self.emit(_Op.STORE, node.name)
        self._body(node.body)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.emit(_Op.STORE, alias.asname or alias.name.partition(".")[0])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for alias in node.names:
            if alias.name == "*":
                self.star_import = True
            else:
                self.emit(_Op.STORE, alias.asname or alias.name)

    def visit_Global(self, node: ast.Global) -> None:
        self.globals.update(node.names)

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        self.nonlocals.update(node.names)

    # match statements

    def visit_MatchAs(self, node: ast.MatchAs) -> None:
        if node.pattern is not None:
            self.visit(node.pattern)
        if node.name is not None:
            self.emit(_Op.STORE, node.name)

    def visit_MatchStar(self, node: ast.MatchStar) -> None:
        if node.name is not None:
            self.emit(_Op.STORE, node.name)

    def visit_MatchMapping(self, node: ast.MatchMapping) -> None:
        for key in node.keys:
            self.visit(key)
        for pattern in node.patterns:
            self.visit(pattern)
        if node.rest is not None:
            self.emit(_Op.STORE, node.rest)

    # in-place changes

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self.visit(node.value)
        if not isinstance(node.ctx, ast.Load):
            self._mutate(node.value)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        self.visit(node.value)
        self.visit(node.slice)
        if not isinstance(node.ctx, ast.Load):
            self._mutate(node.value)

    def visit_Call(self, node: ast.Call) -> None:
        self.generic_visit(node)
        func = node.func
        if isinstance(func, ast.Attribute) and (func.attr in MUTATING_METHODS or _has_inplace_true(node)):
            self._mutate(func.value)

    def _mutate(self, target: ast.expr) -> None:
        while isinstance(target, ast.Attribute | ast.Subscript):
            target = target.value
        if isinstance(target, ast.Name) and self.module:
            self.emit(_Op.MUTATE, target.id)

    # inner scopes

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for decorator in node.decorator_list:
            self.visit(decorator)
        self._signature(node.args)
        if node.returns is not None:
            self.visit(node.returns)
        inner = _function_events(node.args, node.body)
        self.adopt(inner, deferred=True)
        self.emit(_Op.STORE, node.name)
        if self.module:
            self.functions[node.name] = _global_names(inner)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._signature(node.args, annotations=False)
        self.adopt(_function_events(node.args, [node.body]), deferred=True)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for decorator in node.decorator_list:
            self.visit(decorator)
        for base in node.bases:
            self.visit(base)
        for keyword in node.keywords:
            self.visit(keyword.value)
        inner = _class_events(node.body)
        self.adopt(inner, deferred=False)
        self.emit(_Op.STORE, node.name)
        if self.module:
            self.functions[node.name] = _global_names(inner)

    def visit_ListComp(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp) -> None:
        self._comprehension(node.generators, [node.elt])

    visit_SetComp = visit_ListComp
    visit_GeneratorExp = visit_ListComp

    def visit_DictComp(self, node: ast.DictComp) -> None:
        self._comprehension(node.generators, [node.key, node.value])

    def _comprehension(self, generators: list[ast.comprehension], results: list[ast.expr]) -> None:
        self.visit(generators[0].iter)
        inner = _Block(comprehension=True)
        for index, gen in enumerate(generators):
            if index:
                inner.visit(gen.iter)
            inner.visit(gen.target)
            for condition in gen.ifs:
                inner.visit(condition)
        for result in results:
            inner.visit(result)
        local = {ev.name for ev in inner.events if ev.op is _Op.STORE and not ev.nested}
        self.adopt((ev for ev in inner.events if ev.name not in local), deferred=False)

    def _signature(self, args: ast.arguments, *, annotations: bool = True) -> None:
        for default in (*args.defaults, *args.kw_defaults):
            if default is not None:
                self.visit(default)
        if annotations:
            for arg in _all_args(args):
                if arg.annotation is not None:
                    self.visit(arg.annotation)

    def _body(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            self.visit(stmt)


def _has_inplace_true(call: ast.Call) -> bool:
    return any(
        kw.arg == "inplace" and isinstance(kw.value, ast.Constant) and kw.value.value is True
        for kw in call.keywords
    )


def _all_args(args: ast.arguments) -> list[ast.arg]:
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    if args.vararg is not None:
        every.append(args.vararg)
    if args.kwarg is not None:
        every.append(args.kwarg)
    return every


def _function_events(args: ast.arguments, body: Iterable[ast.AST]) -> list[_Event]:
    """A function body's unresolved events: free loads, and reads/writes of its globals."""
    block = _Block()
    for node in body:
        block.visit(node)
    local = {arg.arg for arg in _all_args(args)}
    local |= {ev.name for ev in block.events if ev.op in _BINDING}
    local -= block.globals | block.nonlocals
    out: list[_Event] = []
    for ev in block.events:
        if ev.op in (_Op.GLOBAL_LOAD, _Op.GLOBAL_STORE):
            out.append(ev)
        elif ev.name in block.globals:
            op = _Op.GLOBAL_STORE if ev.op in _BINDING else _Op.GLOBAL_LOAD
            out.append(_Event(op, ev.name, ev.deferred))
        elif ev.op is _Op.LOAD and ev.name not in local:
            out.append(ev)
    return out


def _class_events(body: list[ast.stmt]) -> list[_Event]:
    """A class body's unresolved events; inner scopes never see the class's own names."""
    block = _Block()
    for stmt in body:
        block.visit(stmt)
    bound: set[str] = set()
    out: list[_Event] = []
    for ev in block.events:
        if ev.op in (_Op.GLOBAL_LOAD, _Op.GLOBAL_STORE):
            out.append(ev)
        elif ev.name in block.globals:
            op = _Op.GLOBAL_STORE if ev.op in _BINDING else _Op.GLOBAL_LOAD
            out.append(_Event(op, ev.name, ev.deferred))
        elif ev.op in _BINDING and not ev.nested:
            bound.add(ev.name)
        elif ev.op is _Op.LOAD and (ev.nested or ev.name not in bound):
            out.append(ev)
    return out


def _global_names(events: Iterable[_Event]) -> frozenset[str]:
    return frozenset(
        ev.name for ev in events if ev.op in (_Op.LOAD, _Op.GLOBAL_LOAD) and ev.name not in BUILTIN_NAMES
    )


def _module_names(block: _Block) -> CellNames:
    bound: set[str] = set()
    defines: set[str] = set()
    immediate: set[str] = set()
    deferred: set[str] = set()
    mutates: set[str] = set()
    deletes: set[str] = set()
    global_writes: set[str] = set()

    def read_now(name: str) -> None:
        if name not in bound and name not in BUILTIN_NAMES:
            immediate.add(name)

    for ev in block.events:
        if ev.op is _Op.STORE:
            bound.add(ev.name)
            defines.add(ev.name)
        elif ev.op is _Op.DELETE:
            read_now(ev.name)
            bound.add(ev.name)
            defines.add(ev.name)
            deletes.add(ev.name)
        elif ev.op is _Op.MUTATE:
            read_now(ev.name)
            mutates.add(ev.name)
        elif ev.op is _Op.GLOBAL_STORE:
            global_writes.add(ev.name)
        elif ev.deferred:
            deferred.add(ev.name)
        else:
            read_now(ev.name)
    deferred -= defines | BUILTIN_NAMES
    return CellNames(
        defines=frozenset(defines),
        reads=frozenset(immediate | deferred),
        immediate_reads=frozenset(immediate),
        mutates=frozenset(mutates),
        deletes=frozenset(deletes),
        global_writes=frozenset(global_writes),
        functions=MappingProxyType(dict(block.functions)),
        star_import=block.star_import,
    )
