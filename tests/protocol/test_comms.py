"""Comms from both sides, comm_info, and ipywidgets (IntSlider, Output, interact)."""

from __future__ import annotations

import uuid

import pytest

from tests.protocol import transports
from tests.protocol.kernel_client import Msg, RunningKernel

pytestmark = pytest.mark.timeout(60)

kernel = transports.kernel  # a kernel process, and in-process

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

ECHO_TARGET = """
import comm
comm_events = []
def _echo_target(c, open_msg):
    comm_events.append(('open', open_msg['content']['data']))
    @c.on_msg
    def _on_msg(msg):
        comm_events.append(('msg', msg['content']['data']))
        c.send({'echo': msg['content']['data']})
    @c.on_close
    def _on_close(msg):
        comm_events.append(('close', msg['content']['data']))
comm.get_comm_manager().register_target('braid.echo', _echo_target)
"""


def _comm_messages(kernel: RunningKernel, parent: str, comm_id: str) -> list[Msg]:
    return [
        m
        for m in kernel.iopub_by_parent[parent]
        if m["msg_type"].startswith("comm_") and m["content"].get("comm_id") == comm_id
    ]


def test_frontend_comm_open_msg_close_reach_the_kernel_target(kernel: RunningKernel) -> None:
    kernel.run(ECHO_TARGET)
    comm_id = uuid.uuid4().hex
    for msg_type, content in [
        ("comm_open", {"comm_id": comm_id, "target_name": "braid.echo", "data": {"hello": 1}}),
        ("comm_msg", {"comm_id": comm_id, "data": {"n": 2}}),
        ("comm_close", {"comm_id": comm_id, "data": {"bye": 3}}),
    ]:
        kernel.iopub_until_idle(kernel.send("shell", msg_type, content))
    assert kernel.value("comm_events") == "[('open', {'hello': 1}), ('msg', {'n': 2}), ('close', {'bye': 3})]"


def test_kernel_answer_to_a_comm_msg_is_parented_to_it(kernel: RunningKernel) -> None:
    kernel.run(ECHO_TARGET)
    comm_id = uuid.uuid4().hex
    kernel.iopub_until_idle(
        kernel.send("shell", "comm_open", {"comm_id": comm_id, "target_name": "braid.echo", "data": {}})
    )
    msg_id = kernel.send("shell", "comm_msg", {"comm_id": comm_id, "data": {"ping": 7}})
    answer = kernel.iopub_wait(msg_id, lambda m: m["msg_type"] == "comm_msg", what="comm_msg answer")
    assert answer["content"]["comm_id"] == comm_id
    assert answer["content"]["data"] == {"echo": {"ping": 7}}


def test_comm_messages_from_a_cell_carry_the_cell_as_parent(kernel: RunningKernel) -> None:
    done = kernel.run(
        "import comm\n"
        "c = comm.create_comm(target_name='braid.from_kernel', data={'opened': 1})\n"
        "c.send({'sent': 2})\n"
        "c.close({'closed': 3})\n"
        "c.comm_id"
    )
    comm_id = done.result.strip("'")
    messages = _comm_messages(kernel, done.msg_id, comm_id)
    assert [m["msg_type"] for m in messages] == ["comm_open", "comm_msg", "comm_close"]
    opened, sent, closed = (m["content"] for m in messages)
    assert opened["target_name"] == "braid.from_kernel"
    assert (opened["data"], sent["data"], closed["data"]) == ({"opened": 1}, {"sent": 2}, {"closed": 3})


def test_frontend_comm_close_closes_a_kernel_opened_comm(kernel: RunningKernel) -> None:
    done = kernel.run(
        "import comm\n"
        "closed_from_frontend = []\n"
        "kc_comm = comm.create_comm(target_name='braid.closable')\n"
        "kc_comm.on_close(lambda msg: closed_from_frontend.append(msg['content']['data']))\n"
        "kc_comm.comm_id"
    )
    comm_id = done.result.strip("'")
    kernel.iopub_until_idle(kernel.send("shell", "comm_close", {"comm_id": comm_id, "data": {"why": "x"}}))
    assert kernel.value("closed_from_frontend") == "[{'why': 'x'}]"
    comms = kernel.request("comm_info_request", {})["content"]["comms"]
    assert comm_id not in comms


def test_comm_info_filters_by_target_name(kernel: RunningKernel) -> None:
    done = kernel.run(
        "import comm\n"
        "info_a = comm.create_comm(target_name='braid.info.a')\n"
        "info_b = comm.create_comm(target_name='braid.info.b')\n"
        "(info_a.comm_id, info_b.comm_id)"
    )
    id_a, id_b = (part.strip(" '") for part in done.result.strip("()").split(","))
    only_a = kernel.request("comm_info_request", {"target_name": "braid.info.a"})["content"]
    assert only_a["status"] == "ok"
    assert only_a["comms"] == {id_a: {"target_name": "braid.info.a"}}
    everything = kernel.request("comm_info_request", {})["content"]["comms"]
    assert everything[id_a] == {"target_name": "braid.info.a"}
    assert everything[id_b] == {"target_name": "braid.info.b"}


def test_comm_open_to_an_unknown_target_gets_comm_close(kernel: RunningKernel) -> None:
    comm_id = uuid.uuid4().hex
    msg_id = kernel.send(
        "shell", "comm_open", {"comm_id": comm_id, "target_name": "braid.nobody", "data": {}}
    )
    closed = kernel.iopub_wait(msg_id, lambda m: m["msg_type"] == "comm_close", what="comm_close")
    assert closed["content"]["comm_id"] == comm_id
    kernel.iopub_until_idle(msg_id)
    assert comm_id not in kernel.request("comm_info_request", {})["content"]["comms"]


# ------------------------------------------------------------------------------- ipywidgets


def _update_state(msg: Msg) -> dict[str, object]:
    if msg["msg_type"] != "comm_msg":
        return {}
    data = msg["content"]["data"]
    return data.get("state", {}) if data.get("method") in ("update", "echo_update") else {}


def test_intslider_display_frontend_update_and_kernel_update(kernel: RunningKernel) -> None:
    shown = kernel.run("import ipywidgets as widgets\nslider = widgets.IntSlider(value=3)\ndisplay(slider)")
    opens = [
        m
        for m in shown.of_type("comm_open")
        if m["content"]["data"]["state"].get("_model_name") == "IntSliderModel"
    ]
    assert len(opens) == 1, [m["content"]["target_name"] for m in shown.of_type("comm_open")]
    comm_id = opens[0]["content"]["comm_id"]
    assert opens[0]["content"]["target_name"] == "jupyter.widget"
    assert opens[0]["content"]["data"]["state"]["value"] == 3
    (view,) = shown.of_type("display_data")
    assert view["content"]["data"][WIDGET_VIEW]["model_id"] == comm_id

    # The frontend moves the slider.
    update = {"method": "update", "state": {"value": 7}, "buffer_paths": []}
    kernel.iopub_until_idle(kernel.send("shell", "comm_msg", {"comm_id": comm_id, "data": update}))
    assert kernel.value("slider.value") == "7"

    # The kernel moves it: the frontend hears about it, parented to the cell.
    moved = kernel.run("slider.value = 9")
    updates = [m for m in moved.of_type("comm_msg") if m["content"]["comm_id"] == comm_id]
    assert any(_update_state(m).get("value") == 9 for m in updates), updates


def test_output_widget_captures_print_into_the_cell(kernel: RunningKernel) -> None:
    created = kernel.run("import ipywidgets as widgets\nout = widgets.Output()\ndisplay(out)")
    (opened,) = [
        m
        for m in created.of_type("comm_open")
        if m["content"]["data"]["state"].get("_model_name") == "OutputModel"
    ]
    comm_id = opened["content"]["comm_id"]
    done = kernel.run("with out:\n    print('captured-x')\n")
    relevant = [
        m
        for m in done.iopub
        if m["msg_type"] == "stream" or (m["msg_type"] == "comm_msg" and m["content"]["comm_id"] == comm_id)
    ]
    msg_id_states = [
        (i, _update_state(m)["msg_id"]) for i, m in enumerate(relevant) if "msg_id" in _update_state(m)
    ]
    stream_at = [i for i, m in enumerate(relevant) if m["msg_type"] == "stream"]
    streams = [relevant[i] for i in stream_at]
    assert "".join(m["content"]["text"] for m in streams) == "captured-x\n", relevant
    assert all(m["parent_header"]["msg_id"] == done.msg_id for m in streams)
    # The widget is told to capture this cell's output before the print, and to stop after it.
    assert [state for i, state in msg_id_states if i < stream_at[0]][-1:] == [done.msg_id], msg_id_states
    assert [state for i, state in msg_id_states if i > stream_at[-1]][:1] == [""], msg_id_states
    assert not [state for i, state in msg_id_states if stream_at[0] < i < stream_at[-1]], msg_id_states


def test_interact_opens_widget_comms_parented_to_the_cell(kernel: RunningKernel) -> None:
    done = kernel.run(
        "from ipywidgets import interact\n_ = interact(lambda x: print('interact-ran', x), x=5)",
    )
    opens = done.of_type("comm_open")
    assert all(m["content"]["target_name"] == "jupyter.widget" for m in opens)
    models = {m["content"]["data"]["state"].get("_model_name") for m in opens}
    assert {"IntSliderModel", "VBoxModel", "OutputModel"} <= models, models
    views = [m for m in done.of_type("display_data") if WIDGET_VIEW in m["content"]["data"]]
    assert len(views) == 1
    vbox = next(m for m in opens if m["content"]["data"]["state"].get("_model_name") == "VBoxModel")
    assert views[0]["content"]["data"][WIDGET_VIEW]["model_id"] == vbox["content"]["comm_id"]
    assert "interact-ran 5" in done.stdout
