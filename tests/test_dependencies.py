"""pyproject's ``dependencies`` cover every library the package imports.

A plain ``pip install braid-kernel`` must start a kernel: every third-party module that
``src/braid_kernel`` imports is provided by a declared (non-extra) dependency, unless it is listed
in ``OPTIONAL`` with the reason it may be missing, and an optional module is imported lazily only
(inside a function, or under ``if TYPE_CHECKING``), never when a braid module is imported
(``importlib.import_module("literal")`` counts as an import).  A
library that arrives only through another one (sniffio through trio, in the dev venv) or only
through an extra is an undeclared dependency, and the test names it.
"""

from __future__ import annotations

import ast
import functools
import importlib.metadata
import re
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "braid_kernel"

# Third-party modules the kernel may run without: what pip extra (or the user) provides each.
OPTIONAL = {
    "trio": "the trio extra (--backend trio, run_on('trio'))",
    "uvloop": "the uvloop extra (--uvloop, checked at startup)",
    "PySide6": "the qt extra (--loop qt, checked at startup)",
    "matplotlib": "the user's own matplotlib (touched only once a cell imported matplotlib.pyplot)",
    "ipykernel": "the user's own ipykernel (imported for tqdm's detection when installed)",
    "jedi": "IPython's dependency; only the background warm-up imports it, failures are logged",
    "cryptography": "the remote extra (braid-kernel launch, checked at startup)",
    "jupyterlite_core": "the lite extra (braid-kernel lite build)",
    "packaging": "the lite extra (braid-kernel lite build: resolving wheels for Pyodide)",
}


@dataclass(frozen=True)
class Import:
    module: str  # the top-level module name
    path: Path
    line: int
    eager: bool  # runs when the braid module itself is imported


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _is_import_module_call(node: ast.AST) -> bool:
    """``importlib.import_module("name")`` (or ``import_module("name")``) with a literal name."""
    if not isinstance(node, ast.Call) or not node.args:
        return False
    func, first = node.func, node.args[0]
    named = (isinstance(func, ast.Attribute) and func.attr == "import_module") or (
        isinstance(func, ast.Name) and func.id == "import_module"
    )
    return named and isinstance(first, ast.Constant) and isinstance(first.value, str)


def _imports(tree: ast.Module, path: Path) -> list[Import]:
    """Absolute imports of ``tree``; ``eager`` unless inside a function or a TYPE_CHECKING block."""
    found: list[Import] = []

    def visit(node: ast.AST, eager: bool) -> None:
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif _is_import_module_call(node):
            names = [node.args[0].value]  # type: ignore[attr-defined]  # checked by the call above
        found.extend(
            Import(name.partition(".")[0], path, getattr(node, "lineno", 0), eager) for name in names
        )
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            eager = False
        for child in ast.iter_child_nodes(node):
            lazy_branch = isinstance(node, ast.If) and _is_type_checking(node.test) and child in node.body
            visit(child, eager and not lazy_branch)

    visit(tree, True)
    return found


def third_party_imports() -> list[Import]:
    found: list[Import] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        found.extend(
            imp
            for imp in _imports(tree, path)
            if imp.module not in sys.stdlib_module_names and imp.module != "braid_kernel"
        )
    return found


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared_distributions(extra: str | None = None) -> set[str]:
    """The distributions pyproject's ``[project] dependencies`` name (or those of ``extra``)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    specs = project["dependencies"] if extra is None else project["optional-dependencies"][extra]
    return {_normalise(re.split(r"[\s<>=!~;\[(]", spec, maxsplit=1)[0]) for spec in specs}


@functools.cache
def _distributions_of_modules() -> Mapping[str, list[str]]:
    return importlib.metadata.packages_distributions()  # scans every installed distribution


def providers(module: str) -> set[str]:
    """The installed distributions that provide top-level ``module``."""
    return {_normalise(dist) for dist in _distributions_of_modules().get(module, [])}


def test_every_imported_library_is_a_declared_dependency() -> None:
    declared = declared_distributions()
    undeclared = sorted(
        {
            f"{imp.module} (e.g. {imp.path.relative_to(ROOT)}:{imp.line})"
            for imp in third_party_imports()
            if imp.module not in OPTIONAL and not providers(imp.module) & declared
        }
    )
    assert not undeclared, f"imported but not in pyproject's dependencies: {undeclared}"


def test_optional_libraries_are_imported_lazily_only() -> None:
    eager = [
        f"{imp.module} at {imp.path.relative_to(ROOT)}:{imp.line}"
        for imp in third_party_imports()
        if imp.module in OPTIONAL and imp.eager
    ]
    assert not eager, f"optional libraries imported when a braid module loads: {eager}"


def test_optional_libraries_are_not_declared_dependencies() -> None:
    # OPTIONAL must not hide a library that is a real dependency (then it belongs in neither list)
    declared = declared_distributions()
    assert not [module for module in OPTIONAL if providers(module) & declared]


@pytest.mark.parametrize(
    ("module", "extra"),
    [
        ("trio", "trio"),
        ("uvloop", "uvloop"),
        ("PySide6", "qt"),
        ("jupyterlite_core", "lite"),
        ("packaging", "lite"),
    ],
)
def test_the_extra_named_for_an_optional_library_provides_it(module: str, extra: str) -> None:
    assert f"the {extra} extra" in OPTIONAL[module]
    assert providers(module) & declared_distributions(extra)


def test_the_walk_sees_imports_at_every_level() -> None:
    # the rules above are only as good as this walk: module level, try blocks, functions, TYPE_CHECKING
    source = (
        "import a.b\n"
        "try:\n    from c import d\nexcept ImportError:\n    pass\n"
        "if TYPE_CHECKING:\n    import e\n"
        "def f():\n    import g\n    importlib.import_module('i.j')\n"
        "from . import h\n"
        "import_module(k)\n"
    )
    found = {(imp.module, imp.eager) for imp in _imports(ast.parse(source), Path("x.py"))}
    assert found == {("a", True), ("c", True), ("e", False), ("g", False), ("i", False)}
