"""Rich output in JupyterLab: an HTML table, a matplotlib PNG, and update_display in place."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.lab import JupyterLab
from tests.e2e.notebook import Notebook, write_notebook

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

CELLS = [
    "from IPython.display import HTML, display, update_display\n"
    'HTML("<table><tr><th>kernel</th><th>mode</th></tr><tr><td>braid</td><td>chained</td></tr></table>")',
    "import matplotlib.pyplot as plt\n"
    "plt.figure(figsize=(4, 2.5))\n"
    "plt.plot([1, 3, 2, 4])\n"
    'plt.title("drawn inline by braid")\n'
    "plt.show()",
    'progress = display(HTML("<b>step 1 of 2</b>"), display_id="progress")',
    'update_display(HTML("<b>finished: 2 of 2</b>"), display_id="progress")\nprint("updated")',
]


def test_html_png_and_update_display(page: Page, lab: JupyterLab, showcase: Callable[[str], None]) -> None:
    write_notebook(lab.root, "rich.ipynb", "braid", CELLS)
    notebook = Notebook.open(page, lab, "rich.ipynb", cells=len(CELLS))

    notebook.run(0)
    notebook.expect_count(0, 1)
    table = notebook.cell(0).locator(".jp-RenderedHTMLCommon table")
    expect(table.locator("td")).to_have_text(["braid", "chained"])

    notebook.run(1)
    notebook.expect_count(1, 2, timeout=120_000)  # the first matplotlib import is slow
    image = notebook.cell(1).locator(".jp-RenderedImage img")
    expect(image).to_have_attribute("src", re.compile(r"^data:image/png;base64,"))
    assert image.evaluate("img => img.complete && img.naturalWidth") > 100

    notebook.run(2)
    notebook.expect_count(2, 3)
    expect(notebook.output_text(2)).to_have_text("step 1 of 2")
    notebook.run(3)
    notebook.expect_count(3, 4)
    expect(notebook.output_text(3)).to_have_text("updated")  # the update did not land here
    expect(notebook.output_text(2)).to_have_text("finished: 2 of 2")  # but replaced cell 2's output
    expect(notebook.outputs(2)).to_have_count(1)
    showcase("05-rich-output")
