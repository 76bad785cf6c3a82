"""complete, inspect, is_complete, history, the pager and ``exit``."""

from __future__ import annotations

import uuid

import pytest

from tests.protocol import transports
from tests.protocol.kernel_client import RunningKernel, strip_ansi

pytestmark = pytest.mark.timeout(60)

kernel = transports.kernel  # a kernel process, and in-process
start_kernel = transports.start_kernel  # (fresh_kernel too)


def test_complete_returns_matching_names_and_cursor_span(kernel: RunningKernel) -> None:
    kernel.run("completion_target_alpha = 1\ncompletion_target_beta = 2")
    code = "x = completion_target_al"
    content = kernel.request("complete_request", {"code": code, "cursor_pos": len(code)})["content"]
    assert content["status"] == "ok"
    assert "completion_target_alpha" in content["matches"]
    assert "completion_target_beta" not in content["matches"]
    assert (content["cursor_start"], content["cursor_end"]) == (4, len(code))


def test_complete_attribute_of_a_module(kernel: RunningKernel) -> None:
    kernel.run("import os")
    content = kernel.request("complete_request", {"code": "os.pa", "cursor_pos": 5})["content"]
    assert any(match.endswith("path") for match in content["matches"]), content["matches"]


def test_inspect_known_name_returns_its_documentation(kernel: RunningKernel) -> None:
    content = kernel.request("inspect_request", {"code": "len(", "cursor_pos": 3, "detail_level": 0})[
        "content"
    ]
    assert content["status"] == "ok"
    assert content["found"] is True
    assert "Return the number of items" in strip_ansi(content["data"]["text/plain"])


def test_inspect_unknown_name_is_not_found(kernel: RunningKernel) -> None:
    code = "no_such_name_for_inspect"
    content = kernel.request("inspect_request", {"code": code, "cursor_pos": len(code), "detail_level": 0})[
        "content"
    ]
    assert content["status"] == "ok"
    assert content["found"] is False


def test_is_complete_says_complete(kernel: RunningKernel) -> None:
    content = kernel.request("is_complete_request", {"code": "x = 1"})["content"]
    assert content["status"] == "complete"


def test_is_complete_says_incomplete_with_indent(kernel: RunningKernel) -> None:
    content = kernel.request("is_complete_request", {"code": "for i in range(3):"})["content"]
    assert content["status"] == "incomplete"
    assert content["indent"] == "    "


def test_is_complete_says_invalid(kernel: RunningKernel) -> None:
    content = kernel.request("is_complete_request", {"code": "x = )"})["content"]
    assert content["status"] == "invalid"


def _history(kernel: RunningKernel, **content: object) -> list[list[object]]:
    reply = kernel.request("history_request", {"output": False, "raw": True, **content})["content"]
    assert reply["status"] == "ok", reply
    return reply["history"]


def test_history_tail_includes_the_latest_cell(kernel: RunningKernel) -> None:
    code = f"latest_cell_marker = '{uuid.uuid4().hex}'"
    count = kernel.run(code).content["execution_count"]
    history = _history(kernel, hist_access_type="tail", n=3)
    assert history, "empty history"
    session, line, source = history[-1]
    assert (line, source) == (count, code)
    assert isinstance(session, int)


def test_history_range_lists_this_sessions_cells_by_count(kernel: RunningKernel) -> None:
    first = f"range_marker_one = '{uuid.uuid4().hex}'"
    second = f"range_marker_two = '{uuid.uuid4().hex}'"
    n1 = kernel.run(first).content["execution_count"]
    n2 = kernel.run(second).content["execution_count"]
    history = _history(kernel, hist_access_type="range", session=0, start=n1, stop=n2 + 1)
    assert [(line, source) for _, line, source in history] == [(n1, first), (n2, second)]


def test_history_search_finds_matching_cells(kernel: RunningKernel) -> None:
    marker = uuid.uuid4().hex
    code = f"searched_cell = '{marker}'"
    kernel.run(code)
    history = _history(kernel, hist_access_type="search", pattern=f"*{marker}*", n=10)
    assert [source for _, _, source in history] == [code]


def test_pager_question_mark_returns_page_payload_with_data(kernel: RunningKernel) -> None:
    done = kernel.run("len?")
    pages = [p for p in done.content["payload"] if p.get("source") == "page"]
    assert len(pages) == 1, done.content["payload"]
    data = pages[0].get("data")
    assert isinstance(data, dict), f"page payload without a data dict: {pages[0]}"
    assert "Return the number of items" in strip_ansi(data["text/plain"])
    assert not done.of_type("display_data"), "the pager text went out as display data"


@transports.zmq_only("start_kernel")  # an in-process kernel belongs to its host: it keeps running
@pytest.mark.parametrize("code", ["exit", "quit()"])
def test_exit_replies_then_the_kernel_process_ends(fresh_kernel: RunningKernel, code: str) -> None:
    # As ipykernel 7: the frontend gets the ask_exit payload, then the process exits (JupyterLab
    # restarts it).
    done = fresh_kernel.run(code)  # the reply and the idle status arrive first
    assert {"source": "ask_exit", "keepkernel": False} in done.content["payload"], done.content
    assert fresh_kernel.wait_for_exit(), "the kernel kept running after exit"
