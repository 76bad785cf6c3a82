"""The cache key of a cell: what it does and what it reads.

The key is a SHA-256 digest, in this order, of: the cache format version, the Python
implementation and version, the cell's normalised code (its AST without positions, so comments
and formatting do not matter) and, sorted by name, each input name with the fingerprint of its
value (:mod:`~braid_kernel.features.cache.engine.fingerprint`).

The inputs are the names the cell reads before binding them (static analysis, shared with reactive
mode), the builtins it shadows, and — transitively — the globals read by the notebook's functions
and classes among them: a cell calling ``f`` depends on what ``f`` reads.
"""

from __future__ import annotations

import ast
import builtins
import hashlib
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import FunctionType
from typing import Any

from braid_kernel.engine.analysis import CellNames, analyse
from braid_kernel.features.cache.engine.fingerprint import global_names

__all__ = ("FORMAT_VERSION", "CellCode", "cell_key", "input_names", "read_cell")

#: Bump when the key or the stored entries change meaning: old entries then simply miss.
FORMAT_VERSION = 1
_PYTHON = f"{sys.implementation.cache_tag}-{'.'.join(map(str, sys.version_info[:3]))}"
_BUILTINS = frozenset(vars(builtins))
#: Builtins through which a cell reads or binds names that static analysis cannot see.
DYNAMIC_NAMES = frozenset({"exec", "eval", "globals", "locals", "vars"})


@dataclass(frozen=True, slots=True)
class CellCode:
    """What the key needs from a cell's source, computed once per cell."""

    source: str
    tree: ast.Module
    normalised: bytes  # digest of the AST without positions
    names: CellNames  # static analysis

    def mentions(self, candidates: Iterable[str]) -> set[str]:
        """Which of ``candidates`` the code uses as plain names (``print``, ``exec``, ...).

        A text search first: most cells mention none, and walking the tree costs more."""
        present = [name for name in candidates if name in self.source]
        if not present:
            return set()
        loaded = {node.id for node in ast.walk(self.tree) if isinstance(node, ast.Name)}
        return loaded.intersection(present)


def read_cell(source: str) -> CellCode:
    """Parse and analyse ``source`` (the transformed Python code); ``SyntaxError`` if invalid."""
    tree = ast.parse(source)
    dump = ast.dump(tree, annotate_fields=False, include_attributes=False)
    digest = hashlib.sha256(dump.encode()).digest()
    return CellCode(source, tree, digest, analyse(source))


def input_names(code: CellCode, namespace: Mapping[str, Any]) -> list[str]:
    """The cell's inputs, sorted: its reads, shadowed builtins, and what its functions read."""
    names = set(code.names.reads) | code.mentions(_BUILTINS.intersection(namespace))
    todo = list(names)
    while todo:
        for read in _globals_read_by(namespace.get(todo.pop()), namespace):
            if read not in names and read in namespace:
                names.add(read)
                todo.append(read)
    return sorted(names)


def _globals_read_by(value: Any, namespace: Mapping[str, Any]) -> Iterable[str]:
    """Globals a function or class of the notebook may read when called."""
    if isinstance(value, FunctionType):
        return global_names(value.__code__) if value.__globals__ is namespace else ()
    if isinstance(value, type) and value.__module__ == namespace.get("__name__", "__main__"):
        found: set[str] = set()
        for attr in vars(value).values():
            fn = getattr(attr, "__func__", None) or getattr(attr, "fget", None) or attr
            if isinstance(fn, FunctionType) and fn.__globals__ is namespace:
                found |= global_names(fn.__code__)
        return found
    return ()


def cell_key(code: CellCode, inputs: Mapping[str, bytes], scope: str = "") -> str:
    """The hex cache key of a cell with these input fingerprints (in ``scope``: a multi-mode
    session's entries are its own)."""
    h = hashlib.sha256()
    h.update(f"braid-cache-{FORMAT_VERSION};{_PYTHON};".encode())
    if scope:
        h.update(b"scope\0" + scope.encode() + b"\0")
    h.update(code.normalised)
    for name in sorted(inputs):
        h.update(b"\0" + name.encode() + b"\0" + inputs[name])
    return h.hexdigest()
