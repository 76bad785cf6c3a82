"""Notebooks in JupyterLab's DOM: write one with prepared cells, open it, run cells, read outputs.

Tests prepare their cells in a ``.ipynb`` file (kernelspec in its metadata) rather than typing
them, then drive the notebook the way a user does: select a cell, Ctrl+Enter, the toolbar, the
stdin box.  Every wait is one of Playwright's auto-waiting locators or ``expect`` assertions with a
generous timeout, never a sleep.

The selectors are JupyterLab 4's: ``.jp-Cell`` (a cell), ``.jp-InputPrompt`` (``[3]:``, ``[*]:``),
``.jp-OutputArea-output`` (one output), ``.cm-content`` (CodeMirror 6's editable text), and the
status bar's kernel item, whose text is ``<display name> | <status>``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from tests.e2e.lab import JupyterLab

TIMEOUT_MS = 60_000  # one UI wait: generous, the machine is shared
KERNEL_START_MS = 120_000
DISPLAY_NAMES = {
    "braid": "Python 3 (braid)",
    "braid-concurrent": "Python 3 (braid: concurrent)",
    "braid-react": "Python 3 (braid: react)",
    "braid-react-lazy": "Python 3 (braid: react, lazy)",
    "braid-cache": "Python 3 (braid: cache)",
    "braid-cache-react": "Python 3 (braid: cache, react)",
    "braid-concurrent-react": "Python 3 (braid: concurrent, react)",
    "braid-multi": "Python 3 (braid: multi)",
    "python3": "Python 3 (ipykernel)",
}


def write_notebook(root: Path, name: str, kernel: str, cells: Sequence[str]) -> Path:
    """A notebook file of code cells (no outputs) on ``kernel``; its path."""
    notebook = {
        "cells": [
            {"cell_type": "code", "metadata": {}, "source": source, "outputs": [], "execution_count": None}
            for source in cells
        ],
        "metadata": {
            "kernelspec": {"name": kernel, "display_name": DISPLAY_NAMES[kernel], "language": "python"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path = root / name
    path.write_text(json.dumps(notebook, indent=1), encoding="utf-8")
    return path


class Notebook:
    """The one notebook open in a page, addressed by cell index."""

    def __init__(self, page: Page, name: str) -> None:
        self.page = page
        self.name = name
        self.panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
        self.cells = self.panel.locator(".jp-Notebook .jp-Cell")
        self.kernel_status = page.locator("#jp-main-statusbar").get_by_title(f"Change kernel for {name}")

    @classmethod
    def open(cls, page: Page, lab: JupyterLab, name: str, cells: int) -> Notebook:
        """Open ``name`` (already in the notebook root) in a workspace of its own; wait for its kernel."""
        page.goto(lab.url(name, workspace=re.sub(r"\W", "-", name)))
        notebook = cls(page, name)
        expect(notebook.cells).to_have_count(cells, timeout=KERNEL_START_MS)
        notebook.hide_file_browser()
        notebook.wait_idle(timeout=KERNEL_START_MS)
        return notebook

    def hide_file_browser(self) -> None:
        """Collapse the left side bar, so screenshots show the notebook."""
        left = self.page.locator("#jp-left-stack")
        if left.is_visible():
            self.page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current").click()
            expect(left).to_be_hidden(timeout=TIMEOUT_MS)

    def cell(self, index: int) -> Locator:
        return self.cells.nth(index)

    def prompt(self, index: int) -> Locator:
        return self.cell(index).locator(".jp-InputPrompt")

    def outputs(self, index: int) -> Locator:
        return self.cell(index).locator(".jp-OutputArea-output")

    def output_text(self, index: int) -> Locator:
        """All output of a cell as one element, for ``to_contain_text``."""
        return self.cell(index).locator(".jp-Cell-outputArea")

    def select(self, index: int) -> None:
        """Select a cell in command mode (a click on its prompt, as a user would)."""
        self.prompt(index).click()
        expect(self.cell(index)).to_have_class(re.compile(r"\bjp-mod-selected\b"), timeout=TIMEOUT_MS)

    def run(self, index: int) -> None:
        """Run one cell with Ctrl+Enter (run in place, selection stays)."""
        self.select(index)
        self.page.keyboard.press("Control+Enter")
        # The prompt turns to [*] (or straight to a number when the cell is quick).
        expect(self.prompt(index)).to_have_text(re.compile(r"\[(\*|\d+)\]"), timeout=TIMEOUT_MS)

    def expect_count(self, index: int, count: int, timeout: float = TIMEOUT_MS) -> None:
        """The cell finished as execution ``count`` (its prompt shows ``[count]:``)."""
        expect(self.prompt(index)).to_have_text(f"[{count}]:", timeout=timeout)

    def expect_running(self, index: int) -> None:
        expect(self.prompt(index)).to_have_text("[*]:", timeout=TIMEOUT_MS)

    def wait_idle(self, timeout: float = TIMEOUT_MS) -> None:
        expect(self.kernel_status).to_have_text(re.compile(r"\|\s*Idle$"), timeout=timeout)

    def toolbar_button(self, command: str) -> Locator:
        return self.panel.locator(f".jp-NotebookPanel-toolbar jp-button[data-command='{command}']")
