"""Interrupt from the toolbar: an awaiting cell stops with KeyboardInterrupt, the kernel runs on."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.lab import JupyterLab
from tests.e2e.notebook import Notebook, write_notebook

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

CELLS = [
    'import asyncio\nprint("waiting for an hour", flush=True)\nawait asyncio.sleep(3600)',
    'print("still alive after the interrupt")',
]


def test_toolbar_interrupt_stops_an_awaiting_cell(
    page: Page, lab: JupyterLab, showcase: Callable[[str], None]
) -> None:
    write_notebook(lab.root, "interrupt.ipynb", "braid", CELLS)
    notebook = Notebook.open(page, lab, "interrupt.ipynb", cells=2)
    notebook.run(0)
    expect(notebook.output_text(0)).to_contain_text("waiting for an hour")
    notebook.expect_running(0)
    expect(notebook.kernel_status).to_contain_text("Busy")

    notebook.toolbar_button("notebook:interrupt-kernel").click()

    expect(
        notebook.cell(0).locator(".jp-RenderedText[data-mime-type='application/vnd.jupyter.stderr']")
    ).to_contain_text("KeyboardInterrupt")
    notebook.expect_count(0, 1)
    notebook.wait_idle()
    notebook.run(1)
    notebook.expect_count(1, 2)
    expect(notebook.output_text(1)).to_have_text("still alive after the interrupt")
    notebook.wait_idle()
    showcase("04-interrupt")
