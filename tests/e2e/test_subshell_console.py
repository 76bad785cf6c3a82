"""A subshell console answers while the notebook's main shell is blocked (JEP 91 in JupyterLab).

JupyterLab offers "New Subshell Console for Notebook" when the kernel reports the
``kernel subshells`` feature.  The console's code runs in a subshell thread of the notebook's
kernel, so it answers while a notebook cell blocks the main thread in ``time.sleep``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.lab import JupyterLab
from tests.e2e.notebook import Notebook, write_notebook

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

CELLS = [
    "import time\n"
    'shared = "set by the notebook"\n'
    'print("blocking for 10 minutes", flush=True)\n'
    "time.sleep(600)"
]
CONSOLE_CODE = "import threading\nprint(shared, '|', threading.current_thread().name)"


def test_subshell_console_answers_while_the_notebook_blocks(
    page: Page, lab: JupyterLab, showcase: Callable[[str], None]
) -> None:
    write_notebook(lab.root, "subshell.ipynb", "braid", CELLS)
    notebook = Notebook.open(page, lab, "subshell.ipynb", cells=1)
    notebook.run(0)
    expect(notebook.output_text(0)).to_contain_text("blocking for 10 minutes")

    created: list[str] = []  # the console's connection sees create_subshell_reply
    page.on("websocket", lambda ws: ws.on("framereceived", lambda frame: _note_subshell(frame, created)))
    notebook.cell(0).click(button="right")
    page.locator(".lm-Menu-item", has_text="New Subshell Console for Notebook").click()
    console = page.locator(".jp-CodeConsole")
    # JupyterLab lets you type before its create_subshell_request is answered, and then sends the
    # code to the main shell, where it waits behind the blocked cell.  A user types slower than that.
    _wait_until(page, lambda: bool(created), "the console never created its subshell")
    prompt = console.locator(".jp-CodeConsole-promptCell .cm-content")
    prompt.click()
    page.keyboard.type(CONSOLE_CODE)
    page.keyboard.press("Shift+Enter")

    answer = console.locator(".jp-CodeConsole-content .jp-OutputArea-output")
    expect(answer).to_contain_text("set by the notebook | braid-subshell-")
    notebook.expect_running(0)  # the notebook's cell is still blocked in time.sleep
    showcase("07-subshell-console")

    notebook.toolbar_button("notebook:interrupt-kernel").click()
    expect(notebook.output_text(0)).to_contain_text("KeyboardInterrupt")
    notebook.expect_count(0, 1)


def _note_subshell(frame: str | bytes, created: list[str]) -> None:
    if b"create_subshell_reply" in (frame if isinstance(frame, bytes) else frame.encode()):
        created.append("yes")


def _wait_until(page: Page, condition: Callable[[], bool], failure: str, seconds: float = 60) -> None:
    """Let the page process events until ``condition()`` holds (Python-side state set by handlers)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, failure
        page.wait_for_timeout(100)
