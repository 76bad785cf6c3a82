"""A new notebook on the braid kernel, from JupyterLab's launcher: type a cell, run it, see it answer."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.lab import JupyterLab
from tests.e2e.notebook import DISPLAY_NAMES, KERNEL_START_MS, Notebook

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


def test_new_notebook_runs_a_typed_cell(page: Page, lab: JupyterLab, showcase: Callable[[str], None]) -> None:
    page.goto(f"{lab.origin}/lab/workspaces/launcher?reset&token={lab.token}")
    card = page.locator(f".jp-LauncherCard[data-category='Notebook'][title='{DISPLAY_NAMES['braid']}']")
    card.click(timeout=KERNEL_START_MS)
    notebook = Notebook(page, "Untitled.ipynb")
    expect(notebook.cells).to_have_count(1)
    notebook.hide_file_browser()
    notebook.wait_idle(timeout=KERNEL_START_MS)

    notebook.cell(0).locator(".cm-content").click()
    page.keyboard.type("print('hello from braid')\n6 * 7")
    page.keyboard.press("Shift+Enter")

    notebook.expect_count(0, 1)
    expect(notebook.outputs(0)).to_have_count(2)  # the printed line, then Out[1]
    expect(notebook.outputs(0).first).to_have_text("hello from braid")
    expect(notebook.outputs(0).last).to_have_text("42")
    expect(notebook.cell(0).locator(".jp-OutputPrompt").last).to_have_text("[1]:")
    expect(notebook.cells).to_have_count(2)  # Shift+Enter moved on to a new cell
    notebook.wait_idle()
    expect(notebook.kernel_status).to_have_text(re.compile(r"^Python 3 \(braid\) \| Idle$"))
    showcase("01-first-cell")
