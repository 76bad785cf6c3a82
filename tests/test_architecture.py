"""The package's shape: no import cycles, no module too long to read.

import-linter (``lint-imports``) checks the layers and, with its ``acyclic_siblings`` contract,
cycles between packages.  This module checks cycles between *modules*, counting every import a
reader must follow to understand one: imports inside ``if TYPE_CHECKING:`` and inside functions
(lazy ones), ``importlib.import_module("literal")``, and ``from package import module`` as an
import of the package itself (it runs the package's ``__init__``).  grimp, under import-linter,
sees neither of the last two, which is how ``app.launch <-> app.kernel`` and the debugger
package's cycle went unnoticed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import braid_kernel

ROOT = Path(braid_kernel.__file__).parent
PACKAGE = "braid_kernel"
MAX_LINES = 500

Edges = dict[str, dict[str, int]]  # importer -> {imported: line of the first such import}


def module_files() -> dict[str, Path]:
    """Every module of the package by its dotted name (a package by its ``__init__.py``)."""
    modules = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _resolve(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = importer.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imported_names(importer: str, path: Path, modules: dict[str, Path]) -> Iterator[tuple[str, int]]:
    """What ``importer`` imports anywhere in its source, as module names with their line."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            source = _resolve(importer, is_package, node)
            yield source, node.lineno  # the package's __init__ runs, whatever is taken from it
            for alias in node.names:
                if f"{source}.{alias.name}" in modules:
                    yield f"{source}.{alias.name}", node.lineno
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.args[0].value, node.lineno


def import_graph() -> Edges:
    modules = module_files()
    edges: Edges = {name: {} for name in modules}
    for importer, path in modules.items():
        for imported, line in imported_names(importer, path, modules):
            if imported in modules and imported != importer:
                edges[importer].setdefault(imported, line)
    return edges


def cycles(edges: Edges) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def describe(component: list[str], edges: Edges) -> str:
    modules = module_files()
    lines = [" <-> ".join(component)]
    for importer in component:
        for imported, line in sorted(edges[importer].items()):
            if imported in component:
                where = modules[importer].relative_to(ROOT.parent.parent)
                lines.append(f"    {importer} -> {imported}  ({where}:{line})")
    return "\n".join(lines)


def test_no_module_imports_another_that_imports_it_back() -> None:
    edges = import_graph()
    found = cycles(edges)
    assert not found, "import cycles in src/braid_kernel:\n" + "\n".join(describe(c, edges) for c in found)


def test_the_cycle_check_counts_what_grimp_leaves_out(tmp_path: Path) -> None:
    """Type-only, lazy, ``importlib`` and ``from package import module`` imports are edges."""
    sources = {
        "pkg": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .mod import X\n",
        "pkg.mod": "from . import other\ndef f():\n    import importlib\n    importlib.import_module('x')\n",
        "pkg.other": "",
    }
    (tmp_path / "pkg").mkdir()
    modules = {name: tmp_path / "pkg" / f"{name.partition('.')[2] or '__init__'}.py" for name in sources}
    for name, source in sources.items():
        modules[name].write_text(source)
    assert set(imported_names("pkg", modules["pkg"], modules)) >= {("pkg.mod", 3)}
    found = set(imported_names("pkg.mod", modules["pkg.mod"], modules))
    assert found >= {("pkg", 1), ("pkg.other", 1), ("x", 4)}
    assert cycles({"a": {"b": 1}, "b": {"c": 2}, "c": {"a": 3}, "d": {"a": 4}}) == [["a", "b", "c"]]


def test_no_module_is_longer_than_500_lines() -> None:
    long = {
        name: count
        for name, path in module_files().items()
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines (split them by concept): {long}"
