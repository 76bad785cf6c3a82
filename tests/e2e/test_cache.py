"""braid-cache in JupyterLab: after a restart from the Kernel menu, outputs come back without a run.

The cell counts its runs in a file next to the notebook (a side effect the cache cannot see) and
prints the count.  After "Restart Kernel and Clear Outputs of All Cells…" the notebook is empty
and the kernel is new; running the cell again shows the same printed text and result, from the
cache on disk (a temp dir: the kernelspec's ``--cache-dir``), and the file still says one run.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.lab import JupyterLab
from tests.e2e.notebook import KERNEL_START_MS, Notebook, write_notebook

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

CELLS = [
    "import time\n"
    "from pathlib import Path\n"
    "\n"
    'runs = Path("cache-runs.log")\n'
    "count = len(runs.read_text().splitlines()) + 1 if runs.exists() else 1\n"
    'runs.write_text("ran\\n" * count)  # a side effect the cache cannot see\n'
    "time.sleep(1)  # something slow\n"
    "total = sum(i * i for i in range(100_000))\n"
    'print(f"run number {count}: sum of squares computed")\n'
    "total",
    "%braid cache info",
]
RESULT = str(sum(i * i for i in range(100_000)))


def test_outputs_restored_from_cache_after_restart(
    page: Page, lab: JupyterLab, showcase: Callable[[str], None]
) -> None:
    runs = lab.root / "cache-runs.log"
    runs.unlink(missing_ok=True)
    write_notebook(lab.root, "cache.ipynb", "braid-cache", CELLS)
    notebook = Notebook.open(page, lab, "cache.ipynb", cells=len(CELLS))
    notebook.run(0)
    notebook.expect_count(0, 1)
    _expect_outputs(notebook)
    assert runs.read_text().splitlines() == ["ran"]

    page.locator("#jp-MainMenu .lm-MenuBar-item", has_text="Kernel").click()
    page.locator(".lm-Menu-item", has_text="Restart Kernel and Clear Outputs of All Cells").click()
    page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-accept", has_text="Restart").click()
    expect(notebook.outputs(0)).to_have_count(0)
    expect(notebook.prompt(0)).to_have_text("[ ]:")
    notebook.wait_idle(timeout=KERNEL_START_MS)

    notebook.run(0)
    notebook.expect_count(0, 1)  # a new kernel's first cell
    _expect_outputs(notebook)  # the same printed text and result, restored
    assert runs.read_text().splitlines() == ["ran"], "the cell ran again instead of hitting the cache"
    notebook.run(1)
    expect(notebook.output_text(1)).to_contain_text("this session: 1 hits, 0 misses")
    expect(notebook.output_text(1)).to_contain_text(f"location: {lab.cache_dir}/")  # the temp dir
    notebook.wait_idle()
    showcase("10-cache-after-restart")


def _expect_outputs(notebook: Notebook) -> None:
    expect(notebook.outputs(0)).to_have_count(2)  # the printed line, then Out[1]
    expect(notebook.outputs(0).first).to_have_text("run number 1: sum of squares computed")
    expect(notebook.outputs(0).last).to_have_text(RESULT)
    expect(notebook.cell(0).locator(".jp-OutputPrompt").last).to_have_text(re.compile(r"\[1\]:"))
