"""The lazy reactive scenario the browser tests share (JupyterLab, Notebook 7, JupyterLite).

A chain ``x -> y -> z`` in a ``braid-react-lazy`` notebook: run it, change ``x``, see the cells
below it marked stale (outputs left alone), open the graph panel, press "Run stale" and see the
outputs update and the marks turn into "re-ran".  Each step is a function, so a test adds what its
front end shows besides (screenshots, a click in the graph, the restart case).
"""

from __future__ import annotations

import re

from playwright.sync_api import Locator, expect

from tests.e2e.notebook import TIMEOUT_MS, Notebook

LAZY_CELLS = ["x = 1", "y = x * 10\ny", "z = y + 1\nz"]


def edit(notebook: Notebook, index: int, code: str) -> None:
    """Replace cell ``index``'s source with ``code`` by typing, as a user does."""
    editor = notebook.cell(index).locator(".cm-content")
    editor.click()
    notebook.page.keyboard.press("Control+A")
    notebook.page.keyboard.type(code)
    expect(editor).to_have_text(code)


def run_the_chain(notebook: Notebook, timeout: float = TIMEOUT_MS) -> Locator:
    """Run the three cells in order (``timeout``: for the first answers, in ms); returns the
    "Run stale" toolbar button, which the kernel's dataflow comm made visible."""
    for index in range(len(LAZY_CELLS)):
        notebook.run(index)
        notebook.expect_count(index, index + 1, timeout=timeout)
    expect(notebook.output_text(2)).to_have_text(re.compile(r"^\s*11\s*$"))
    run_stale = notebook.panel.locator(".braid-RunStaleButton")
    expect(run_stale).to_be_visible()
    return run_stale


def change_x(notebook: Notebook, value: int) -> None:
    """Set ``x = value`` and run it: ``y`` and ``z`` become stale, their outputs stay."""
    edit(notebook, 0, f"x = {value}")
    notebook.run(0)
    notebook.expect_count(0, 4)
    for index in (1, 2):
        expect(notebook.cell(index)).to_have_attribute("data-braid-state", "stale")
    expect(notebook.output_text(1)).to_have_text(re.compile(r"^\s*10\s*$"))  # not re-run


def open_the_graph(notebook: Notebook) -> Locator:
    """Show the dataflow panel: three cells, two edges labelled with the names passed, two of
    the cells stale; returns the panel."""
    notebook.panel.locator(".braid-ShowGraphButton").click()
    graph = notebook.page.locator("#braid-dataflow-panel")
    expect(graph).to_be_visible()
    expect(graph.locator(".braid-Graph-node")).to_have_count(3)
    expect(graph.locator(".braid-Graph-edge")).to_have_count(2)
    expect(graph.locator(".braid-Graph-edgeLabel")).to_have_text(["x", "y"])  # drawn top to bottom
    expect(graph.locator(".braid-Graph-node[data-state='stale']")).to_have_count(2)
    return graph


def run_stale(notebook: Notebook, button: Locator, graph: Locator, value: int) -> None:
    """Press "Run stale" after ``change_x(value)``: ``y`` and ``z`` update and are marked
    "re-ran", and the graph has no stale cell left."""
    button.click()
    expect(notebook.output_text(1)).to_have_text(re.compile(rf"^\s*{value * 10}\s*$"))
    expect(notebook.output_text(2)).to_have_text(re.compile(rf"^\s*{value * 10 + 1}\s*$"))
    for index in (1, 2):
        expect(notebook.cell(index)).to_have_attribute("data-braid-state", "reran")
    expect(graph.locator(".braid-Graph-node[data-state='stale']")).to_have_count(0)
