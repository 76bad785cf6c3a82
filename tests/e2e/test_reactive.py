"""braid-react in JupyterLab: editing and re-running an upstream cell updates a downstream output in place.

The downstream cell's output lives in a display the kernel owns; re-running the upstream cell
re-runs the downstream one, and the kernel sends ``update_display_data``, so JupyterLab replaces
the ``10`` under the second cell with ``20`` although only the first cell was run.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.lab import JupyterLab
from tests.e2e.notebook import Notebook, write_notebook

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

CELLS = ["x = 1", 'y = x * 10\nprint(f"y is computed from x = {x}")\ny']


def test_downstream_output_changes_when_upstream_cell_is_edited(
    page: Page, lab: JupyterLab, showcase: Callable[[str], None]
) -> None:
    write_notebook(lab.root, "reactive.ipynb", "braid-react", CELLS)
    notebook = Notebook.open(page, lab, "reactive.ipynb", cells=len(CELLS))
    notebook.run(0)
    notebook.expect_count(0, 1)
    notebook.run(1)
    notebook.expect_count(1, 2)
    # A reactive cell shows its printed text and its result in the one display it owns.
    expect(notebook.output_text(1)).to_have_text(re.compile(r"^\s*y is computed from x = 1\s+10\s*$"))
    expect(notebook.outputs(1)).to_have_count(1)

    editor = notebook.cell(0).locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("x = 2")
    expect(editor).to_have_text("x = 2")
    notebook.run(0)  # only the upstream cell
    notebook.expect_count(0, 3)

    # Replaced in place, not appended: the same single output now reads 20.
    expect(notebook.output_text(1)).to_have_text(re.compile(r"^\s*y is computed from x = 2\s+20\s*$"))
    expect(notebook.outputs(1)).to_have_count(1)
    notebook.expect_count(1, 2)  # the downstream cell was not run from the page
    expect(notebook.outputs(0)).to_have_count(0)  # nothing landed under the cell that was run
    notebook.wait_idle()
    showcase("09-reactive-update")
