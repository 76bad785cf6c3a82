"""``get_ipython().kernel`` and ``exit``: what libraries and notebooks use of ipykernel's kernel."""

from __future__ import annotations

import pytest

from tests.protocol import transports
from tests.protocol.kernel_client import RunningKernel

pytestmark = pytest.mark.timeout(60)

kernel = transports.kernel  # a kernel process, and in-process

OFFERED = (
    "session",
    "iopub_socket",
    "comm_manager",
    "shell",
    "get_parent",
    "io_loop",
    "parent_header",
    "execution_count",
    "ident",
    "log",
    "profile_dir",
    "send_response",
)

# nbclient's own test notebook (update-display-id.ipynb) publishes displays this way.
DISPLAY_WITH_ID = """
ip = get_ipython()
def display_with_id(obj, display_id, update=False):
    iopub = ip.kernel.iopub_socket
    session = get_ipython().kernel.session
    data, md = ip.display_formatter.format(obj)
    content = {"data": data, "metadata": md, "transient": {"display_id": str(display_id)}}
    msg_type = "update_display_data" if update else "display_data"
    session.send(iopub, msg_type, content, parent=ip.parent_header)
"""


def test_the_kernel_object_offers_what_libraries_use(kernel: RunningKernel) -> None:
    names = kernel.value(f"k = get_ipython().kernel\n[a for a in {OFFERED!r} if not hasattr(k, a)]")
    assert names == "[]"
    assert kernel.value("k.shell is get_ipython(), k.get_parent()['header']['msg_type']") == (
        "(True, 'execute_request')"
    )
    assert kernel.value("k.parent_header['msg_type'], get_ipython().parent_header['header']['msg_type']") == (
        "('execute_request', 'execute_request')"
    )


def test_session_send_publishes_on_iopub_with_the_parent_it_names(kernel: RunningKernel) -> None:
    kernel.run(DISPLAY_WITH_ID)
    first = kernel.run("display_with_id('first value', 'braid-did')")
    [shown] = first.of_type("display_data")
    assert shown["content"]["data"]["text/plain"] == "'first value'"
    assert shown["content"]["transient"] == {"display_id": "braid-did"}
    later = kernel.run("display_with_id('second value', 'braid-did', update=True)")
    [update] = later.of_type("update_display_data")
    assert update["content"]["data"]["text/plain"] == "'second value'"
    assert update["parent_header"]["msg_id"] == later.msg_id


def test_send_response_publishes_under_the_current_request(kernel: RunningKernel) -> None:
    done = kernel.run(
        "k = get_ipython().kernel\n"
        "k.send_response(k.iopub_socket, 'stream', {'name': 'stdout', 'text': 'sent by send_response'})"
    )
    assert "sent by send_response" in done.stdout, done.describe()


def test_session_send_refuses_other_channels_naming_the_alternative(kernel: RunningKernel) -> None:
    done = kernel.execute("get_ipython().kernel.session.send('stdin', 'input_request', {'prompt': ''})")
    assert done.content["ename"] == "ValueError"
    assert "iopub_socket" in done.content["evalue"] and "input()" in done.content["evalue"]


def test_internals_not_offered_raise_attribute_errors_naming_the_alternative(kernel: RunningKernel) -> None:
    assert kernel.value("hasattr(get_ipython().kernel, 'do_one_iteration')") == "False"
    done = kernel.execute("get_ipython().kernel.do_one_iteration()")
    assert done.content["ename"] == "AttributeError"
    assert "asyncio.sleep(0)" in done.content["evalue"], done.content["evalue"]


def test_io_loop_add_callback_runs_on_the_main_loop(kernel: RunningKernel) -> None:
    done = kernel.run(
        "import asyncio, threading\n"
        "ran, loop_thread = [], threading.current_thread()  # main-shell cells run on its loop\n"
        "def callback(value):\n"
        "    ran.append((value, threading.current_thread() is loop_thread))\n"
        "async def coroutine_callback():\n"
        "    await asyncio.sleep(0)\n"
        "    ran.append(('awaited', threading.current_thread() is loop_thread))\n"
        "loop = get_ipython().kernel.io_loop\n"
        "threading.Thread(target=loop.add_callback, args=(callback, 5)).start()\n"
        "loop.add_callback(coroutine_callback)\n"
        "while len(ran) < 2:\n"
        "    await asyncio.sleep(0.01)\n"
        "sorted(ran, key=str)"
    )
    assert done.result == "[('awaited', True), (5, True)]"


def test_quit_keep_kernel_asks_the_frontend_to_close_and_keeps_the_kernel(kernel: RunningKernel) -> None:
    done = kernel.run("quit(keep_kernel=True)")
    assert done.content["payload"] == [{"source": "ask_exit", "keepkernel": True}]
    assert kernel.value("'still here'") == "'still here'"
