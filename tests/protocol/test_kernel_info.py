"""kernel_info on both channels, busy/idle bookkeeping, and unknown requests."""

from __future__ import annotations

import platform

import pytest

from tests.protocol import transports
from tests.protocol.kernel_client import RunningKernel

pytestmark = pytest.mark.timeout(60)

kernel = transports.kernel  # a kernel process, and in-process


@pytest.mark.parametrize("channel", ["shell", "control"])
def test_kernel_info_describes_the_kernel(kernel: RunningKernel, channel: str) -> None:
    reply = kernel.request("kernel_info_request", channel=channel)
    assert reply["msg_type"] == "kernel_info_reply"
    info = reply["content"]
    assert info["status"] == "ok"
    assert info["protocol_version"] == "5.5"
    assert info["implementation"] == "braid-kernel"
    assert isinstance(info["implementation_version"], str) and info["implementation_version"]
    language = info["language_info"]
    assert language["name"] == "python"
    assert language["version"] == platform.python_version()  # the kernelspec runs this venv's python
    assert language["mimetype"] == "text/x-python"
    assert language["file_extension"] == ".py"
    assert isinstance(info["banner"], str)
    assert info["help_links"], "no help_links"
    assert all(set(link) == {"text", "url"} for link in info["help_links"])
    assert isinstance(info["supported_features"], list)


def test_kernel_info_is_the_same_on_shell_and_control(kernel: RunningKernel) -> None:
    assert kernel.kernel_info("shell") == kernel.kernel_info("control")


def test_reply_header_is_version_5_5_and_names_the_session(kernel: RunningKernel) -> None:
    reply = kernel.request("kernel_info_request")
    assert reply["header"]["version"] == "5.5"
    assert reply["header"]["msg_type"] == "kernel_info_reply"
    assert reply["header"]["session"]


REQUESTS = [
    ("shell", "kernel_info_request", {}),
    ("control", "kernel_info_request", {}),
    ("shell", "complete_request", {"code": "pri", "cursor_pos": 3}),
    ("shell", "inspect_request", {"code": "print", "cursor_pos": 5, "detail_level": 0}),
    ("shell", "is_complete_request", {"code": "x = 1"}),
    ("shell", "comm_info_request", {}),
    ("shell", "history_request", {"hist_access_type": "tail", "n": 1, "output": False, "raw": True}),
    ("shell", "execute_request", {"code": "1", "silent": False}),
]


@pytest.mark.parametrize(
    ("channel", "msg_type", "content"), REQUESTS, ids=[r[1] + "@" + r[0] for r in REQUESTS]
)
def test_busy_and_idle_bracket_every_request_with_it_as_parent(
    kernel: RunningKernel, channel: str, msg_type: str, content: dict[str, object]
) -> None:
    msg_id = kernel.send(channel, msg_type, content)
    kernel.reply(msg_id, channel)
    iopub = kernel.iopub_until_idle(msg_id)
    states = [m["content"]["execution_state"] for m in iopub if m["msg_type"] == "status"]
    assert states == ["busy", "idle"], states
    assert iopub[0]["msg_type"] == "status" and iopub[-1]["msg_type"] == "status"
    assert all(m["parent_header"]["msg_id"] == msg_id for m in iopub)


@pytest.mark.parametrize("channel", ["shell", "control"])
def test_unknown_request_gets_an_error_reply_and_the_kernel_keeps_serving(
    kernel: RunningKernel, channel: str
) -> None:
    reply = kernel.request("foo_request", {"bar": 1}, channel=channel)
    assert reply["msg_type"] == "foo_reply"
    assert reply["content"]["status"] == "error"
    assert kernel.value("'still serving'") == "'still serving'"
