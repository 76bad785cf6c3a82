"""``braid-concurrent`` in JupyterLab: two printing cells run at the same time, each output its own.

A MutationObserver in the page records the line counts of both output areas every time the DOM
changes, so the test sees what a user sees: both areas growing while both cells run.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.lab import JupyterLab
from tests.e2e.notebook import Notebook, write_notebook

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

LINES = 10
CELLS = [
    f'import asyncio\nfor i in range({LINES}):\n    print(f"{tag} line {{i}}")\n    await asyncio.sleep(0.3)'
    for tag in ("A", "B")
]

# Record [lines in cell 0's output, lines in cell 1's output] on every change under the notebook.
RECORD = """(notebook) => {
    const count = (i, tag) => {
        const area = notebook.querySelectorAll('.jp-Cell')[i].querySelector('.jp-Cell-outputArea');
        return (area.innerText.match(new RegExp(tag + ' line \\\\d+', 'g')) || []).length;
    };
    window.braidSamples = [];
    new MutationObserver(() => {
        window.braidSamples.push([count(0, 'A'), count(1, 'B')]);
    }).observe(notebook, {childList: true, subtree: true, characterData: true});
}"""


def test_two_awaiting_cells_print_at_the_same_time(
    page: Page, lab: JupyterLab, showcase: Callable[[str], None]
) -> None:
    write_notebook(lab.root, "concurrent.ipynb", "braid-concurrent", CELLS)
    notebook = Notebook.open(page, lab, "concurrent.ipynb", cells=2)
    notebook.panel.locator(".jp-Notebook").evaluate(RECORD)
    notebook.run(0)
    notebook.run(1)
    # No assertion on timing here: the samples below show whether the outputs grew together.
    expect(notebook.output_text(0)).to_contain_text("A line 3")
    expect(notebook.output_text(1)).to_contain_text("B line 3")
    showcase("03-concurrent-cells")  # mid-run: both prompts [*], both outputs growing
    notebook.expect_count(0, 1)
    notebook.expect_count(1, 2)

    samples: list[list[int]] = page.evaluate("window.braidSamples")
    both_running = [(a, b) for a, b in samples if 0 < a < LINES and 0 < b < LINES]
    assert both_running, f"never saw both outputs part-way: {samples}"
    assert len({a for a, _ in both_running}) > 1, f"cell A did not grow while B ran: {both_running}"
    assert len({b for _, b in both_running}) > 1, f"cell B did not grow while A ran: {both_running}"
    for index, tag in ((0, "A"), (1, "B")):
        text = notebook.output_text(index).inner_text()
        assert text.split() == " ".join(f"{tag} line {i}" for i in range(LINES)).split(), text
