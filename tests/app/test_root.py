"""The composition root builds; it assigns nothing after construction (issue 20)."""

from __future__ import annotations

import ast
from pathlib import Path

from braid_kernel.app import root


def test_the_root_assigns_no_attribute_of_a_part_it_built() -> None:
    """Every part is complete when its constructor (or builder) returns: no ``part.x = ...``
    in app/root.py (``get_ipython().kernel`` is made by build_shell from a factory)."""
    tree = ast.parse(Path(root.__file__).read_text(encoding="utf-8"))
    late = [
        f"line {node.lineno}: {ast.unparse(node)}"
        for node in ast.walk(tree)
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign))
        and any(
            isinstance(t, ast.Attribute)
            for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
        )
    ]
    assert not late, late


def test_every_function_of_the_root_reads_on_one_screen() -> None:
    tree = ast.parse(Path(root.__file__).read_text(encoding="utf-8"))
    long = [
        (node.name, (node.end_lineno or node.lineno) - node.lineno + 1)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and (node.end_lineno or node.lineno) - node.lineno + 1 > 70
    ]
    assert not long, long
