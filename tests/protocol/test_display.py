"""Rich display: display_data, update_display_data, clear_output, matplotlib, IPython.display."""

from __future__ import annotations

import base64

import pytest

from tests.protocol import transports
from tests.protocol.kernel_client import RunningKernel, stream_text

pytestmark = pytest.mark.timeout(60)

kernel = transports.kernel  # a kernel process, and in-process
start_kernel = transports.start_kernel  # (fresh_kernel too)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TINY_PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="


def _is_png(data: str) -> bool:
    return base64.b64decode(data).startswith(PNG_SIGNATURE)


def test_display_data_carries_several_mimetypes(kernel: RunningKernel) -> None:
    done = kernel.run(
        "display({'text/plain': 'plain-x', 'text/html': '<b>html-x</b>', 'application/json': {'k': 1}},"
        " metadata={'application/json': {'expanded': True}}, raw=True)"
    )
    (shown,) = done.of_type("display_data")
    assert shown["parent_header"]["msg_id"] == done.msg_id
    assert shown["content"]["data"] == {
        "text/plain": "plain-x",
        "text/html": "<b>html-x</b>",
        "application/json": {"k": 1},
    }
    assert shown["content"]["metadata"] == {"application/json": {"expanded": True}}


def test_repr_methods_give_rich_execute_result(kernel: RunningKernel) -> None:
    done = kernel.run(
        "class Rich:\n"
        "    def _repr_html_(self): return '<i>rich-html</i>'\n"
        "    def _repr_markdown_(self): return '*rich-md*'\n"
        "Rich()"
    )
    (result,) = done.of_type("execute_result")
    data = result["content"]["data"]
    assert data["text/html"] == "<i>rich-html</i>"
    assert data["text/markdown"] == "*rich-md*"
    assert "text/plain" in data


def test_display_id_update_sends_update_display_data(kernel: RunningKernel) -> None:
    shown = kernel.run("handle = display('first-value', display_id=True)")
    (first,) = shown.of_type("display_data")
    display_id = first["content"]["transient"]["display_id"]
    assert isinstance(display_id, str) and display_id
    updated = kernel.run("handle.update('second-value')")
    types = [m["msg_type"] for m in updated.iopub]
    assert "update_display_data" in types, f"no update_display_data (exact msg_type) among {types}"
    (update,) = updated.of_type("update_display_data")
    assert update["content"]["transient"]["display_id"] == display_id
    assert update["content"]["data"]["text/plain"] == "'second-value'"
    assert update["parent_header"]["msg_id"] == updated.msg_id
    assert not updated.of_type("display_data")


def test_update_display_function_with_display_id(kernel: RunningKernel) -> None:
    kernel.run("from IPython.display import update_display\ndisplay('v1', display_id='braid-fixed-id')")
    updated = kernel.run("update_display('v2', display_id='braid-fixed-id')")
    (update,) = updated.of_type("update_display_data")
    assert update["content"]["transient"] == {"display_id": "braid-fixed-id"}
    assert update["content"]["data"]["text/plain"] == "'v2'"


def test_clear_output_ordered_after_prior_prints_and_parented_to_the_cell(kernel: RunningKernel) -> None:
    done = kernel.run(
        "from IPython.display import clear_output\n"
        "print('before-clear')\n"
        "clear_output(wait=True)\n"
        "print('after-clear')\n"
    )
    outputs = [m for m in done.iopub if m["msg_type"] in ("stream", "clear_output")]
    (clear,) = [m for m in outputs if m["msg_type"] == "clear_output"]
    at = outputs.index(clear)
    assert stream_text(outputs[:at]) == "before-clear\n", outputs
    assert stream_text(outputs[at + 1 :]) == "after-clear\n", outputs
    assert clear["content"] == {"wait": True}
    assert clear["parent_header"]["msg_id"] == done.msg_id


def test_matplotlib_inline_magic_produces_png(kernel: RunningKernel) -> None:
    done = kernel.run(
        "%matplotlib inline\nimport matplotlib.pyplot as plt\nplt.plot([1, 3, 2])\nplt.show()", timeout=60
    )
    pngs = [m for m in done.of_type("display_data") if "image/png" in m["content"]["data"]]
    assert len(pngs) == 1, done.describe()
    assert _is_png(pngs[0]["content"]["data"]["image/png"])
    assert pngs[0]["parent_header"]["msg_id"] == done.msg_id


def test_default_matplotlib_backend_shows_figures_as_png(fresh_kernel: RunningKernel) -> None:
    done = fresh_kernel.run("import matplotlib.pyplot as plt\nplt.plot([1, 2, 3]);", timeout=60)
    pngs = [m for m in done.of_type("display_data") if "image/png" in m["content"]["data"]]
    assert len(pngs) == 1, done.describe()
    assert _is_png(pngs[0]["content"]["data"]["image/png"])
    backend = fresh_kernel.value("import matplotlib; matplotlib.get_backend()")
    assert "inline" in backend


def test_ipython_display_html_markdown_and_image(kernel: RunningKernel) -> None:
    done = kernel.run(
        "import base64\n"
        "from IPython.display import HTML, Image, Markdown, display\n"
        "display(HTML('<i>html-obj</i>'))\n"
        "display(Markdown('**md-obj**'))\n"
        f"display(Image(data=base64.b64decode('{TINY_PNG}')))\n"
        "HTML('<u>as-result</u>')"
    )
    shown = [m["content"]["data"] for m in done.of_type("display_data")]
    assert len(shown) == 3, done.describe()
    assert shown[0]["text/html"] == "<i>html-obj</i>"
    assert shown[1]["text/markdown"] == "**md-obj**"
    assert _is_png(shown[2]["image/png"])
    (result,) = done.of_type("execute_result")
    assert result["content"]["data"]["text/html"] == "<u>as-result</u>"
