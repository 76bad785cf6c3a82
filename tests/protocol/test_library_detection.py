"""Libraries that ask "am I in a Jupyter kernel?" get yes, and render as in a notebook.

tqdm.auto looks for ipykernel's shell module, rich (and the common ``is_notebook()`` helper) for the
shell's class name; answered wrong, users get terminal progress bars and ANSI text instead of
widgets and HTML.
"""

from __future__ import annotations

import pytest

from tests.protocol.kernel_client import RunningKernel

pytestmark = pytest.mark.timeout(60)

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def test_the_shell_class_has_the_name_libraries_test_for(kernel: RunningKernel) -> None:
    assert kernel.value("get_ipython().__class__.__name__") == "'ZMQInteractiveShell'"


def test_tqdm_auto_draws_a_widget_progress_bar(kernel: RunningKernel) -> None:
    code = (
        "from tqdm.auto import tqdm\n"
        "from tqdm.notebook import tqdm_notebook\n"
        "for _ in tqdm(range(3)):\n"
        "    pass\n"
        "issubclass(tqdm, tqdm_notebook)"
    )
    done = kernel.run(code)
    assert done.result == "True", done.describe()
    assert any(WIDGET_VIEW in m["content"]["data"] for m in done.of_type("display_data")), done.describe()


def test_rich_prints_html_into_the_cell(kernel: RunningKernel) -> None:
    done = kernel.run("import rich\nrich.print('[bold]strong words[/bold]')")
    html = [m["content"]["data"].get("text/html", "") for m in done.of_type("display_data")]
    assert any("strong words" in h for h in html), done.describe()
    assert "\x1b[" not in done.stdout  # no terminal escape codes
