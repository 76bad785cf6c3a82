"""``%matplotlib widget`` (ipympl) in the default kernel: figures are live widgets."""

from __future__ import annotations

import pytest

from tests.protocol.kernel_client import RunningKernel

pytestmark = pytest.mark.timeout(90)

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def test_matplotlib_widget_figure_opens_a_canvas_comm_and_shows_its_view(fresh_kernel: RunningKernel) -> None:
    pytest.importorskip("ipympl")
    fresh_kernel.run("%matplotlib widget")
    done = fresh_kernel.run("import matplotlib.pyplot as plt\nfig = plt.figure()\nplt.plot([1, 3, 2])\nNone")
    opens = [
        m["content"] for m in done.of_type("comm_open") if m["content"]["target_name"] == "jupyter.widget"
    ]
    canvases = [c for c in opens if c["data"]["state"].get("_model_name") == "MPLCanvasModel"]
    assert canvases, (
        f"no MPLCanvasModel comm opened: {[c['data']['state'].get('_model_name') for c in opens]}"
    )
    canvas = canvases[0]
    assert canvas["data"]["state"]["_model_module"] == "jupyter-matplotlib"
    views = [
        m["content"]["data"][WIDGET_VIEW]
        for m in done.of_type("display_data")
        if WIDGET_VIEW in m["content"]["data"]
    ]
    assert [v["model_id"] for v in views] == [canvas["comm_id"]], done.describe()
    assert fresh_kernel.value("type(fig.canvas).__module__") == "'ipympl.backend_nbagg'"


def test_widget_canvas_answers_a_frontend_message(fresh_kernel: RunningKernel) -> None:
    """The frontend's first message to a canvas (``send_image_mode``/``refresh``) is handled:
    the kernel answers on the same comm, parented to the comm_msg."""
    pytest.importorskip("ipympl")
    fresh_kernel.run("%matplotlib widget")
    done = fresh_kernel.run("import matplotlib.pyplot as plt\nfig = plt.figure()\nplt.plot([1, 2])\nNone")
    canvas = next(
        m["content"]
        for m in done.of_type("comm_open")
        if m["content"]["data"]["state"].get("_model_name") == "MPLCanvasModel"
    )
    comm_id = canvas["comm_id"]
    msg_id = fresh_kernel.send(
        "shell",
        "comm_msg",
        {"comm_id": comm_id, "data": {"method": "custom", "content": {"type": "refresh", "figure_id": None}}},
    )
    answer = fresh_kernel.iopub_wait(
        msg_id,
        lambda m: m["msg_type"] == "comm_msg" and m["content"]["comm_id"] == comm_id,
        what="canvas reply",
    )
    assert answer["content"]["data"]["method"] in ("custom", "update")
