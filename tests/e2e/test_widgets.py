"""ipywidgets in JupyterLab: a cell awaiting a slider's change completes when the slider is dragged.

The ipykernel #646 scenario: a cell ``await``s a future that the slider's ``observe`` callback
resolves.  The kernel must keep handling the widget's comm messages while that cell awaits, so
dragging the slider in the page finishes the cell with the value the slider shows.

JupyterLab (>= 4.4) sends comm messages over a kernel subshell when the kernel supports subshells
(its ``commsOverSubshells`` setting, by default one subshell per comm target).  The test runs both
ways: comms on the main shell, and JupyterLab's default, where the kernel forwards the subshell's
comm messages to the main loop (``routing.comm_forward``) so the ``observe`` callback can resolve the
main loop's future.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.lab import JupyterLab
from tests.e2e.notebook import Notebook, write_notebook

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

CELLS = [
    "import asyncio\n"
    "import ipywidgets as widgets\n"
    "\n"
    'slider = widgets.IntSlider(value=0, min=0, max=100, description="level", continuous_update=False)\n'
    "moved = asyncio.get_running_loop().create_future()\n"
    'slider.observe(lambda change: moved.done() or moved.set_result(change["new"]), names="value")\n'
    "slider",
    'value = await moved\nprint(f"the slider moved to {value}")',
]


KERNEL_SETTINGS = "@jupyterlab/apputils-extension:kernels-settings"


@pytest.fixture(
    params=[
        pytest.param("disabled", id="comms-on-main-shell"),
        pytest.param("perCommTarget", id="comms-over-subshells"),
    ]
)
def comms_over_subshells(request: pytest.FixtureRequest, lab: JupyterLab) -> Iterator[str]:
    """JupyterLab's ``commsOverSubshells`` setting for this test, restored afterwards."""
    lab.set_settings(KERNEL_SETTINGS, {"commsOverSubshells": request.param})
    yield request.param
    lab.set_settings(KERNEL_SETTINGS, {})


def test_awaiting_cell_completes_when_slider_is_dragged(
    page: Page, lab: JupyterLab, showcase: Callable[[str], None], comms_over_subshells: str
) -> None:
    name = f"slider-{comms_over_subshells}.ipynb"
    write_notebook(lab.root, name, "braid", CELLS)
    notebook = Notebook.open(page, lab, name, cells=len(CELLS))
    notebook.run(0)
    notebook.expect_count(0, 1)
    slider = notebook.cell(0).locator(".widget-slider")
    handle = slider.locator(".noUi-handle")
    expect(handle).to_be_visible()  # the widget rendered offline, from the installed extension
    notebook.run(1)
    notebook.expect_running(1)

    track = slider.locator(".noUi-target")
    start, box = handle.bounding_box(), track.bounding_box()
    assert start is not None and box is not None
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.7, box["y"] + box["height"] / 2, steps=12)
    page.mouse.up()

    readout = slider.locator(".widget-readout")
    expect(readout).not_to_have_text("0")
    shown = readout.inner_text().strip()
    assert 40 <= int(shown) <= 90, f"the slider shows {shown} after a drag to 70 %"
    notebook.expect_count(1, 2, timeout=60_000)
    expect(notebook.output_text(1)).to_have_text(f"the slider moved to {shown}")
    if comms_over_subshells == "disabled":
        showcase("02-widget-slider")
