"""braid in JupyterLite: a static site, served on loopback, runs a notebook in Chromium.

``braid-kernel lite build`` (here :func:`~braid_kernel.app.lite.site.build_site`) makes one site
per test module from what ``python3 dev.py lite-deps`` fetched (Pyodide from npm, the braid wheel
packed from this checkout, its dependencies' wheels), offering the kernels "Python (braid)",
"Python (braid: react, lazy)", "Python (braid: react)" and "Python (braid: cache)"; a plain HTTP
server on 127.0.0.1 serves it.  Each notebook's kernel is Pyodide in a web worker of its own.
Scenarios, as a user meets them: top-level await, a widget slider, ``input()`` answered in the
page, an interrupt from the toolbar; braid's JupyterLab extension in lazy mode (stale marks, Run
stale, the graph panel); an eager reactive update in place; a cache hit; what the browser cannot
do (``!cmd``, ``%gui tk``) refused with a message.  The page never reaches beyond the loopback
server, and asks it for nothing it does not have.  The pages come from the e2e suite's one
Chromium (the ``browser`` fixture); no JupyterLab server serves them.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from lite import deps
from tests.e2e.browser import VIEWPORT_SIZE, missing_browser

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

if not missing_browser():
    from playwright.sync_api import Browser, Page, ViewportSize, expect

    from tests.e2e.lazy_scenario import LAZY_CELLS, change_x, edit, open_the_graph, run_stale, run_the_chain
    from tests.e2e.notebook import Notebook

KERNEL_START_MS = 120_000
KERNELS = ["", "react-lazy", "react", "cache"]
DISPLAY = {
    "braid": "Python (braid)",
    "braid-react-lazy": "Python (braid: react, lazy)",
    "braid-react": "Python (braid: react)",
    "braid-cache": "Python (braid: cache)",
}
CELLS = [
    "import asyncio\nprint(1 + 1); await asyncio.sleep(0.1); 42",
    "import ipywidgets as widgets\nwidgets.IntSlider(value=7, description='level')",
    "name = input('Your name: ')\nprint(f'Hello, {name}!')",
    "await asyncio.sleep(30)",
    "print('still alive after the interrupt')",
]


missing: list[str] = []  # what the site was asked for and does not have (404s)


def _notebook(path: Path, kernel: str, cells: list[str]) -> None:
    notebook = {
        "cells": [
            {"cell_type": "code", "metadata": {}, "source": code, "outputs": [], "execution_count": None}
            for code in cells
        ],
        "metadata": {"kernelspec": {"name": kernel, "display_name": DISPLAY[kernel], "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(notebook), encoding="utf-8")


class _Site(http.server.SimpleHTTPRequestHandler):
    extensions_map = {  # noqa: RUF012  (the base class's attribute, extended)
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".mjs": "text/javascript",
        ".js": "text/javascript",
        ".wasm": "application/wasm",
        ".json": "application/json",
    }

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        if code == 404:
            missing.append(self.path)
        super().send_error(code, message, explain)

    def log_message(self, format: str, *args: object) -> None:
        del format, args


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if reason := missing_browser():
        pytest.skip(reason)
    try:
        from braid_kernel.app.lite.site import build_site
    except ImportError as exc:  # pragma: no cover
        pytest.skip(f"the site builder cannot load: {exc}")
    from braid_kernel.app.lite.site import offered_kernels

    manifest = deps.ensure(deps.DEFAULT_CACHE)
    contents = tmp_path_factory.mktemp("contents")
    _notebook(contents / "lite.ipynb", "braid", CELLS)
    _notebook(contents / "lazy.ipynb", "braid-react-lazy", LAZY_CELLS)
    _notebook(contents / "eager.ipynb", "braid-react", ["x = 1", 'y = x * 10\nprint(f"y from x = {x}")\ny'])
    _notebook(contents / "cache.ipynb", "braid-cache", ["v = sum(range(10))\nprint('computed')\nv"])
    _notebook(contents / "refused.ipynb", "braid", ["!echo hi", "%gui tk"])
    out = tmp_path_factory.mktemp("site") / "out"
    site = build_site(out, manifest.pyodide, manifest.wheels, [contents], kernels=offered_kernels(KERNELS))
    missing.clear()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Site, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, name="lite-site", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def page(site_url: str, browser: Browser) -> Iterator[Page]:
    """A page of the e2e suite's one Chromium (its own Playwright, started once per session:
    a second sync Playwright cannot run beside it); the browser resolves no name but loopback."""
    width, height = VIEWPORT_SIZE
    context = browser.new_context(viewport=ViewportSize(width=width, height=height))
    try:
        context.set_default_timeout(60_000)
        page = context.new_page()
        external: list[str] = []
        local = re.compile(
            rf"^(data:|blob:|about:|{re.escape(site_url)}|{re.escape(site_url.replace('http', 'ws'))})"
        )
        page.on("request", lambda req: None if local.match(req.url) else external.append(req.url))
        missing.clear()
        warnings: list[str] = []
        page.on("console", lambda msg: warnings.append(msg.text) if msg.type == "warning" else None)
        yield page
        assert not external, f"the page reached beyond the loopback server: {external}"
        assert not missing, f"the page asked the site for what it does not have: {missing}"
        unsatisfied = [text for text in warnings if text.startswith("Unsatisfied version")]
        assert not unsatisfied, unsatisfied  # the extensions accept the JupyterLab packages of the site
    finally:
        context.close()


def test_a_notebook_runs_on_braid_in_jupyterlite(page: Page, site_url: str) -> None:
    page.goto(f"{site_url}lab/index.html?path=lite.ipynb")
    notebook = Notebook(page, "lite.ipynb")
    expect(notebook.cells).to_have_count(len(CELLS), timeout=KERNEL_START_MS)
    expect(page.locator("#jp-main-statusbar")).to_contain_text("Python (braid)", timeout=KERNEL_START_MS)
    notebook.hide_file_browser()
    notebook.wait_idle(timeout=KERNEL_START_MS)

    notebook.run(0)
    notebook.expect_count(0, 1, timeout=KERNEL_START_MS)
    expect(notebook.outputs(0)).to_have_count(2)
    expect(notebook.outputs(0).nth(0)).to_have_text("2")
    expect(notebook.outputs(0).nth(1)).to_have_text("42")

    notebook.run(1)
    slider = notebook.cell(1).locator(".widget-slider")
    expect(slider).to_be_visible()
    expect(slider.locator(".widget-readout")).to_have_text("7")

    notebook.run(2)
    box = notebook.cell(2).locator(".jp-Stdin-input")
    expect(box).to_be_visible()
    box.fill("Ada")
    box.press("Enter")
    expect(notebook.output_text(2)).to_contain_text("Hello, Ada!")

    notebook.run(3)
    notebook.expect_running(3)
    notebook.toolbar_button("notebook:interrupt-kernel").click()
    expect(notebook.output_text(3)).to_contain_text("KeyboardInterrupt", timeout=20_000)
    notebook.run(4)
    expect(notebook.output_text(4)).to_have_text("still alive after the interrupt")

    folder = os.environ.get("BRAID_E2E_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / "17-jupyterlite.png"))


def _open(page: Page, site_url: str, name: str, kernel: str, cells: int) -> Notebook:
    page.goto(f"{site_url}lab/index.html?path={name}")
    notebook = Notebook(page, name)
    expect(notebook.cells).to_have_count(cells, timeout=KERNEL_START_MS)
    expect(page.locator("#jp-main-statusbar")).to_contain_text(DISPLAY[kernel], timeout=KERNEL_START_MS)
    notebook.hide_file_browser()
    notebook.wait_idle(timeout=KERNEL_START_MS)
    return notebook


def test_lazy_mode_marks_stale_cells_the_button_runs_them_and_the_graph_shows_the_edges(
    page: Page, site_url: str
) -> None:
    notebook = _open(page, site_url, "lazy.ipynb", "braid-react-lazy", len(LAZY_CELLS))
    button = run_the_chain(notebook, timeout=KERNEL_START_MS)
    change_x(notebook, 2)
    run_stale(notebook, button, open_the_graph(notebook), 2)
    notebook.wait_idle()
    folder = os.environ.get("BRAID_E2E_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / "18-jupyterlite-lazy-after-run-stale.png"))


def test_eager_react_updates_the_downstream_output_in_place(page: Page, site_url: str) -> None:
    notebook = _open(page, site_url, "eager.ipynb", "braid-react", 2)
    notebook.run(0)
    notebook.expect_count(0, 1, timeout=KERNEL_START_MS)
    notebook.run(1)
    notebook.expect_count(1, 2)
    expect(notebook.output_text(1)).to_have_text(re.compile(r"^\s*y from x = 1\s+10\s*$"))
    edit(notebook, 0, "x = 2")
    notebook.run(0)
    notebook.expect_count(0, 3)
    expect(notebook.output_text(1)).to_have_text(re.compile(r"^\s*y from x = 2\s+20\s*$"))
    expect(notebook.outputs(1)).to_have_count(1)  # replaced, not appended
    notebook.expect_count(1, 2)  # re-run by the kernel, not from the page
    expect(notebook.cell(1)).to_have_attribute("data-braid-state", "reran")


def test_cache_mode_restores_a_cells_output(page: Page, site_url: str) -> None:
    notebook = _open(page, site_url, "cache.ipynb", "braid-cache", 1)
    notebook.run(0)
    notebook.expect_count(0, 1, timeout=KERNEL_START_MS)
    _expect_computed(notebook)
    expect(notebook.cell(0)).not_to_have_attribute("data-braid-state", re.compile(".*"))
    notebook.run(0)
    notebook.expect_count(0, 2)
    expect(notebook.cell(0)).to_have_attribute("data-braid-state", "cached")
    _expect_computed(notebook)  # restored: the printed line and the result


def _expect_computed(notebook: Notebook) -> None:
    expect(notebook.outputs(0)).to_have_count(2)
    expect(notebook.outputs(0).first).to_have_text("computed")
    expect(notebook.outputs(0).last).to_have_text("45")


def test_what_the_browser_cannot_do_is_refused_with_a_message(page: Page, site_url: str) -> None:
    notebook = _open(page, site_url, "refused.ipynb", "braid", 2)
    notebook.run(0)
    notebook.expect_count(0, 1, timeout=KERNEL_START_MS)
    expect(notebook.output_text(0)).to_contain_text("!echo hi is unavailable")
    expect(notebook.output_text(0)).to_contain_text("cannot start processes")
    notebook.run(1)
    notebook.expect_count(1, 2)
    expect(notebook.output_text(1)).to_contain_text("is not available in the browser")
