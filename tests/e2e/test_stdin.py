"""input() in JupyterLab: the stdin box appears under the cell, and the typed value is used."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.lab import JupyterLab
from tests.e2e.notebook import Notebook, write_notebook

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

CELLS = ['name = input("Your name: ")\nprint(f"Hello, {name}! ({len(name)} letters)")']


def test_input_box_answers_input(page: Page, lab: JupyterLab, showcase: Callable[[str], None]) -> None:
    write_notebook(lab.root, "stdin.ipynb", "braid", CELLS)
    notebook = Notebook.open(page, lab, "stdin.ipynb", cells=1)
    notebook.run(0)
    box = notebook.cell(0).locator(".jp-Stdin-input")
    expect(box).to_be_visible()
    expect(notebook.cell(0).locator(".jp-Stdin-prompt")).to_have_text("Your name: ")
    box.fill("Ada Lovelace")
    showcase("06-input")
    box.press("Enter")
    notebook.expect_count(0, 1)
    expect(notebook.output_text(0)).to_contain_text("Hello, Ada Lovelace! (12 letters)")
    expect(box).to_have_count(0)
