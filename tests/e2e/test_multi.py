"""braid-multi in JupyterLab: two notebooks on one kernel, each with its own variables and counts.

Notebook A starts a ``braid-multi`` kernel; notebook B's session is created through the server's
REST API on A's kernel (what "use the kernel of another session" does), then B is opened in a
second browser tab.  Each tab's notebook connects with a client session of its own, so the
kernel keeps a namespace and an execution count per notebook: ``v`` is ``"A"`` in A and ``"B"``
in B, and both count 1, 2 although the kernel ran four cells.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.lab import JupyterLab
from tests.e2e.notebook import Notebook, write_notebook

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


def _cells(label: str) -> list[str]:
    return [f'v = "{label}"', 'print(f"v is {v!r} here")', "%braid sessions"]


@pytest.fixture
def second_tab(page: Page, lab: JupyterLab) -> Iterator[Page]:
    """Another tab of the same browser, which may also only talk to the local server."""
    tab = page.context.new_page()
    local = re.compile(rf"^(data:|blob:|about:|(http|ws)://127\.0\.0\.1:{lab.port}/)")
    external: list[str] = []
    tab.on("request", lambda req: None if local.match(req.url) else external.append(req.url))
    yield tab
    tab.close()
    assert not external, f"the second tab reached outside the local server: {external}"


def _kernel_of(lab: JupyterLab, path: str) -> str:
    sessions = lab.api("api/sessions")
    assert isinstance(sessions, list)
    (kernel,) = [session["kernel"]["id"] for session in sessions if session["path"] == path]
    assert isinstance(kernel, str)
    return kernel


def test_two_notebooks_share_one_kernel_with_separate_variables(
    page: Page, second_tab: Page, lab: JupyterLab, showcase: Callable[[str], None]
) -> None:
    write_notebook(lab.root, "multi-a.ipynb", "braid-multi", _cells("A"))
    write_notebook(lab.root, "multi-b.ipynb", "braid-multi", _cells("B"))
    a = Notebook.open(page, lab, "multi-a.ipynb", cells=3)
    kernel = _kernel_of(lab, "multi-a.ipynb")
    session = {"path": "multi-b.ipynb", "name": "multi-b.ipynb", "type": "notebook", "kernel": {"id": kernel}}
    lab.api("api/sessions", method="POST", body=session)
    b = Notebook.open(second_tab, lab, "multi-b.ipynb", cells=3)
    assert _kernel_of(lab, "multi-b.ipynb") == kernel
    kernels = lab.api("api/kernels")
    assert isinstance(kernels, list) and [k["id"] for k in kernels] == [kernel]  # one kernel process

    a.run(0)
    a.expect_count(0, 1)
    b.run(0)
    b.expect_count(0, 1)  # B's own count, not the kernel's second cell
    a.run(1)
    a.expect_count(1, 2)
    b.run(1)
    b.expect_count(1, 2)
    expect(a.output_text(1)).to_have_text("v is 'A' here")  # B's v = "B" did not reach A
    expect(b.output_text(1)).to_have_text("v is 'B' here")

    a.run(2)
    a.expect_count(2, 3)
    sessions = a.output_text(2)
    expect(sessions).to_contain_text("2 session(s)")  # one per notebook, in one kernel
    expect(sessions).to_contain_text(re.compile(r"\w+\*\s+-\s+1\s+3\s"))  # A: this one, 3 cells
    expect(sessions).to_contain_text(re.compile(r"\w+\s+-\s+1\s+2\s"))  # B: 2 cells
    showcase("11-multi-notebooks")
