"""braid in JupyterLite: a static site, served on loopback, runs a notebook in Chromium.

``braid-kernel lite build`` (here :func:`~braid_kernel.app.lite.site.build_site`) makes the site
from what ``python3 dev.py lite-deps`` fetched (Pyodide from npm, the braid wheel built from this
checkout, its dependencies' wheels); a plain HTTP server on 127.0.0.1 serves it.  The notebook's
kernel is "Python (braid)": Pyodide in a web worker.  One scenario, as a user meets it: top-level
await, a widget slider, ``input()`` answered in the page, an interrupt from the toolbar; the page
never reaches beyond the loopback server.  No JupyterLab server is involved (the ``lab`` fixture of
the other e2e tests is not used).
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from lite import deps
from tests.e2e.browser import CHROMIUM, CLOSED_NETWORK_FLAGS, VIEWPORT_SIZE, missing_browser

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

if not missing_browser():
    from playwright.sync_api import Page, ViewportSize, expect, sync_playwright

    from tests.e2e.notebook import Notebook

KERNEL_START_MS = 120_000
CELLS = [
    "import asyncio\nprint(1 + 1); await asyncio.sleep(0.1); 42",
    "import ipywidgets as widgets\nwidgets.IntSlider(value=7, description='level')",
    "name = input('Your name: ')\nprint(f'Hello, {name}!')",
    "await asyncio.sleep(30)",
    "print('still alive after the interrupt')",
]


class _Site(http.server.SimpleHTTPRequestHandler):
    extensions_map = {  # noqa: RUF012  (the base class's attribute, extended)
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".mjs": "text/javascript",
        ".js": "text/javascript",
        ".wasm": "application/wasm",
        ".json": "application/json",
    }

    def log_message(self, format: str, *args: object) -> None:
        del format, args


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if reason := missing_browser():
        pytest.skip(reason)
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("Node.js with npm is not installed (apt-get install nodejs npm): no Pyodide for the site")
    try:
        from braid_kernel.app.lite.site import build_site
    except ImportError as exc:  # pragma: no cover
        pytest.skip(f"the site builder cannot load: {exc}")
    manifest = deps.ensure(deps.DEFAULT_CACHE)
    contents = tmp_path_factory.mktemp("contents")
    notebook = {
        "cells": [
            {"cell_type": "code", "metadata": {}, "source": code, "outputs": [], "execution_count": None}
            for code in CELLS
        ],
        "metadata": {"kernelspec": {"name": "braid", "display_name": "Python (braid)", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (contents / "lite.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    site = build_site(tmp_path_factory.mktemp("site") / "out", manifest.pyodide, manifest.wheels, [contents])
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
def page(site_url: str) -> Iterator[Page]:
    width, height = VIEWPORT_SIZE
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[*CLOSED_NETWORK_FLAGS, "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"],
            timeout=120_000,
        )
        try:
            context = browser.new_context(viewport=ViewportSize(width=width, height=height))
            context.set_default_timeout(60_000)
            page = context.new_page()
            external: list[str] = []
            local = re.compile(
                rf"^(data:|blob:|about:|{re.escape(site_url)}|{re.escape(site_url.replace('http', 'ws'))})"
            )
            page.on("request", lambda req: None if local.match(req.url) else external.append(req.url))
            yield page
            assert not external, f"the page reached beyond the loopback server: {external}"
            context.close()
        finally:
            browser.close()


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
