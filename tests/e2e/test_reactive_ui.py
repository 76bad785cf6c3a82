"""The braid JupyterLab extension (labextension/, shipped prebuilt in the wheel) in a real browser.

* Lazy reactive mode: editing and running an upstream cell marks the cells below it stale (a
  label under their prompts, orange in the graph) and leaves their outputs alone; the "Run stale"
  toolbar button runs them, their outputs update in place and "stale" turns into "re-ran".
* The dataflow graph panel draws cells and edges labelled with the names passed, follows every
  change live; clicking a cell in it makes that cell the active one and scrolls it into view.
* Concurrent mode: a cell sent while another blocks the kernel is labelled "waiting", the
  blocking one "running" (JupyterLab shows ``[*]`` for both); in a reactive change, the cell the
  kernel runs is "running" and the one waiting for it "waiting", though the page sent neither.
* Eager reactive mode labels the cells the last change re-ran, cache mode a cell restored from
  the cache (also a cell a reactive change restored), and with a kernel that is not braid the
  extension shows nothing.
* The same in Notebook 7 (``/notebooks/...`` on the same server).

Marks are the ``data-braid-state`` / ``data-braid-run`` attributes the extension writes on each
cell (the style sheet draws them as the label); every wait is an ``expect`` on what the page shows.
For the cells the kernel runs by itself they come from the dataflow comm's progress messages.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.lab import JupyterLab
from tests.e2e.lazy_scenario import LAZY_CELLS, change_x, edit, open_the_graph, run_stale, run_the_chain
from tests.e2e.notebook import TIMEOUT_MS, Notebook, write_notebook

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


def test_lazy_mode_marks_stale_cells_and_the_button_runs_them(
    page: Page, lab: JupyterLab, showcase: Callable[[str], None]
) -> None:
    write_notebook(lab.root, "lazy.ipynb", "braid-react-lazy", LAZY_CELLS)
    notebook = Notebook.open(page, lab, "lazy.ipynb", cells=len(LAZY_CELLS))
    button = run_the_chain(notebook)
    change_x(notebook, 2)
    expect(notebook.cell(0)).not_to_have_attribute("data-braid-state", re.compile(".*"))
    graph = open_the_graph(notebook)
    expect(graph.locator(".braid-Graph-node text")).to_have_text(["#1 x", "#2 y", "#3 z"])
    notebook.wait_idle()
    showcase("12-lazy-stale-cells-and-graph")

    run_stale(notebook, button, graph, 2)
    for index in (1, 2):  # run by the kernel, not sent by the page: labelled from the comm
        expect(notebook.cell(index)).not_to_have_attribute("data-braid-run", re.compile(".*"))
    notebook.expect_count(1, 2)  # updated in place by the kernel, not run from the page

    # Clicking a cell in the graph makes it the active cell.
    graph.locator(".braid-Graph-node", has_text="#3 z").click()
    expect(notebook.cell(2)).to_have_class(re.compile(r"\bjp-mod-active\b"), timeout=TIMEOUT_MS)
    notebook.wait_idle()
    showcase("13-after-run-stale")


def test_concurrent_mode_shows_waiting_and_running(
    page: Page, lab: JupyterLab, showcase: Callable[[str], None]
) -> None:
    flag = lab.root / "release-blocking-cell"  # the kernel runs in the notebook's folder
    cells = [
        f"import os, time\nwhile not os.path.exists({flag.name!r}):\n    time.sleep(0.05)\nprint('first')",
        "print('second')",
    ]
    write_notebook(lab.root, "waiting.ipynb", "braid-concurrent", cells)
    notebook = Notebook.open(page, lab, "waiting.ipynb", cells=2)
    notebook.run(0)
    expect(notebook.cell(0)).to_have_attribute("data-braid-run", "running")
    notebook.run(1)
    # The first cell blocks the kernel's loop: the second one cannot start yet.
    expect(notebook.cell(1)).to_have_attribute("data-braid-run", "waiting")
    expect(notebook.cell(0)).to_have_attribute("data-braid-run", "running")
    notebook.expect_running(0)
    notebook.expect_running(1)
    showcase("14-concurrent-waiting-running")
    flag.touch()
    notebook.expect_count(0, 1)
    notebook.expect_count(1, 2)
    expect(notebook.output_text(1)).to_contain_text("second")
    for index in (0, 1):
        expect(notebook.cell(index)).not_to_have_attribute("data-braid-run", re.compile(".*"))


def test_eager_mode_labels_the_cells_a_change_reran(page: Page, lab: JupyterLab) -> None:
    write_notebook(lab.root, "eager.ipynb", "braid-react", LAZY_CELLS)
    notebook = Notebook.open(page, lab, "eager.ipynb", cells=len(LAZY_CELLS))
    for index in range(len(LAZY_CELLS)):
        notebook.run(index)
        notebook.expect_count(index, index + 1)
    expect(notebook.panel.locator(".braid-ShowGraphButton")).to_be_visible()
    expect(notebook.panel.locator(".braid-RunStaleButton")).to_be_hidden()
    edit(notebook, 0, "x = 3")
    notebook.run(0)
    expect(notebook.output_text(2)).to_have_text(re.compile(r"^\s*31\s*$"))
    for index in (1, 2):
        expect(notebook.cell(index)).to_have_attribute("data-braid-state", "reran")
    expect(notebook.cell(0)).not_to_have_attribute("data-braid-state", re.compile(".*"))


def test_cache_mode_labels_a_cell_restored_from_the_cache(page: Page, lab: JupyterLab) -> None:
    write_notebook(lab.root, "cached.ipynb", "braid-cache", ["v = sum(range(10))\nv"])
    notebook = Notebook.open(page, lab, "cached.ipynb", cells=1)
    notebook.run(0)
    notebook.expect_count(0, 1)
    expect(notebook.cell(0)).not_to_have_attribute("data-braid-state", re.compile(".*"))
    notebook.run(0)
    notebook.expect_count(0, 2)
    expect(notebook.cell(0)).to_have_attribute("data-braid-state", "cached")
    expect(notebook.output_text(0)).to_contain_text("45")


def test_nothing_is_shown_for_a_kernel_that_is_not_braid(page: Page, lab: JupyterLab) -> None:
    write_notebook(lab.root, "plain.ipynb", "python3", ["import time\ntime.sleep(0.2)\n1 + 1"])
    notebook = Notebook.open(page, lab, "plain.ipynb", cells=1)
    notebook.run(0)
    notebook.expect_count(0, 1)
    expect(notebook.output_text(0)).to_contain_text("2")
    expect(notebook.panel.locator(".braid-RunStaleButton")).to_be_hidden()
    expect(notebook.panel.locator(".braid-ShowGraphButton")).to_be_hidden()
    expect(notebook.cell(0)).not_to_have_attribute("data-braid-run", re.compile(".*"))
    expect(page.locator("#braid-dataflow-panel")).to_be_hidden()


def test_notebook_7_marks_stale_cells_runs_them_and_shows_the_graph(
    page: Page, lab: JupyterLab, showcase: Callable[[str], None]
) -> None:
    write_notebook(lab.root, "nb7.ipynb", "braid-react-lazy", LAZY_CELLS)
    page.goto(f"{lab.origin}/notebooks/nb7.ipynb?token={lab.token}")
    notebook = Notebook(page, "nb7.ipynb")
    expect(notebook.cells).to_have_count(len(LAZY_CELLS), timeout=120_000)
    expect(notebook.panel.locator(".braid-RunStaleButton")).to_be_visible(timeout=120_000)  # comm answered
    button = run_the_chain(notebook)
    change_x(notebook, 5)
    graph = open_the_graph(notebook)
    showcase("15-notebook7-stale-and-graph")
    run_stale(notebook, button, graph, 5)


def test_marks_and_graph_start_afresh_after_a_kernel_restart(page: Page, lab: JupyterLab) -> None:
    write_notebook(lab.root, "restart.ipynb", "braid-react-lazy", LAZY_CELLS)
    notebook = Notebook.open(page, lab, "restart.ipynb", cells=len(LAZY_CELLS))
    for index in range(2):
        notebook.run(index)
        notebook.expect_count(index, index + 1)
    notebook.panel.locator(".braid-ShowGraphButton").click()
    graph = page.locator("#braid-dataflow-panel")
    expect(graph.locator(".braid-Graph-edge")).to_have_count(1)

    kernels = lab.api("api/kernels")
    assert isinstance(kernels, list) and len(kernels) == 1
    lab.api(f"api/kernels/{kernels[0]['id']}/restart", method="POST", timeout=60)
    # The extension opens a new comm on the restarted kernel: an empty graph.
    expect(graph.locator(".braid-GraphPanel-header")).to_have_text(re.compile("No reactive cells yet"))
    notebook.wait_idle()
    for index in range(len(LAZY_CELLS)):
        notebook.run(index)
        notebook.expect_count(index, index + 1)
    expect(graph.locator(".braid-Graph-edge")).to_have_count(2)
    edit(notebook, 0, "x = 7")
    notebook.run(0)
    expect(notebook.cell(2)).to_have_attribute("data-braid-state", "stale")


def test_a_reactive_rerun_restored_from_the_cache_is_labelled_cached(page: Page, lab: JupyterLab) -> None:
    cells = ["base = 1", "scaled = base * 7\nscaled"]
    write_notebook(lab.root, "cache-react.ipynb", "braid-cache-react", cells)
    notebook = Notebook.open(page, lab, "cache-react.ipynb", cells=2)
    for index in (0, 1):
        notebook.run(index)
        notebook.expect_count(index, index + 1)
    edit(notebook, 0, "base = 2")
    notebook.run(0)
    expect(notebook.output_text(1)).to_have_text(re.compile(r"^\s*14\s*$"))
    expect(notebook.cell(1)).to_have_attribute("data-braid-state", "reran")  # computed anew
    edit(notebook, 0, "base = 1")
    notebook.run(0)
    expect(notebook.output_text(1)).to_have_text(re.compile(r"^\s*7\s*$"))
    expect(notebook.cell(1)).to_have_attribute("data-braid-state", "cached")  # seen before: restored
    expect(notebook.cell(0)).to_have_attribute("data-braid-state", "cached")


def test_a_reactive_change_in_concurrent_mode_shows_who_runs_and_who_waits(
    page: Page, lab: JupyterLab, showcase: Callable[[str], None]
) -> None:
    flag = lab.root / "release-slow-cell"
    cells = [
        "import asyncio, os\na = 1",
        f"b = a + 1\nwhile a > 1 and not os.path.exists({flag.name!r}):\n    await asyncio.sleep(0.05)\nb",
        "c = b * 10\nc",
    ]
    write_notebook(lab.root, "concurrent-react.ipynb", "braid-concurrent-react", cells)
    notebook = Notebook.open(page, lab, "concurrent-react.ipynb", cells=3)
    for index in range(3):
        notebook.run(index)
        notebook.expect_count(index, index + 1)
    edit(notebook, 0, "import asyncio, os; a = 2")
    notebook.run(0)
    # The page sent only the first cell; the kernel runs the second and the third waits for it.
    expect(notebook.cell(1)).to_have_attribute("data-braid-run", "running")
    expect(notebook.cell(2)).to_have_attribute("data-braid-run", "waiting")
    notebook.panel.locator(".braid-ShowGraphButton").click()
    graph = page.locator("#braid-dataflow-panel")
    expect(graph.locator(".braid-Graph-node", has_text="#2 b")).to_have_attribute("data-run", "running")
    expect(graph.locator(".braid-Graph-node", has_text="#3 c")).to_have_attribute("data-run", "waiting")
    showcase("16-reactive-change-running-and-waiting")
    flag.touch()
    expect(notebook.output_text(2)).to_have_text(re.compile(r"^\s*30\s*$"))
    for index in (1, 2):
        expect(notebook.cell(index)).to_have_attribute("data-braid-state", "reran")
        expect(notebook.cell(index)).not_to_have_attribute("data-braid-run", re.compile(".*"))
    expect(graph.locator(".braid-Graph-node[data-run]")).to_have_count(0)


def test_clicking_a_graph_node_scrolls_its_cell_into_view(page: Page, lab: JupyterLab) -> None:
    fillers = [f"# filler {n}\n" + "\n" * 6 for n in range(20)]
    cells = ["top = 1", *fillers, "bottom = top + 1\nbottom"]
    write_notebook(lab.root, "long.ipynb", "braid-react", cells)
    notebook = Notebook.open(page, lab, "long.ipynb", cells=len(cells))
    last = len(cells) - 1
    notebook.run(0)
    notebook.expect_count(0, 1)
    notebook.run(last)
    notebook.expect_count(last, 2)
    notebook.select(0)
    expect(notebook.cell(0)).to_be_in_viewport()
    expect(notebook.cell(last)).not_to_be_in_viewport()
    notebook.panel.locator(".braid-ShowGraphButton").click()
    graph = page.locator("#braid-dataflow-panel")
    expect(graph.locator(".braid-Graph-edge")).to_have_count(1)
    graph.locator(".braid-Graph-node", has_text=f"#{last + 1} bottom").click()
    expect(notebook.cell(last)).to_be_in_viewport()
    expect(notebook.cell(last)).to_have_class(re.compile(r"\bjp-mod-active\b"))
    graph.locator(".braid-Graph-node", has_text="#1 top").click()
    expect(notebook.cell(0)).to_be_in_viewport()
    expect(notebook.cell(last)).not_to_be_in_viewport()
