"""Multi mode over ZeroMQ: several jupyter_client clients (each its own ``session``) on one
``braid-multi`` kernel, each with its own namespace, count, history, chain, interrupts, stdin,
comms, reactive graph and cache scope; ``%braid sessions`` / ``session name|attach|reset``;
idle sessions freed."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator

import pytest
from jupyter_client.blocking.client import BlockingKernelClient

from tests.protocol.kernel_client import (
    STARTUP_TIMEOUT,
    Executed,
    RoutingClient,
    RunningKernel,
    strip_ansi,
)

pytestmark = pytest.mark.timeout(180)

Start = Callable[..., RunningKernel]


class Clients:
    """Extra clients of one kernel, each with a session of its own; all stopped at the end."""

    def __init__(self, kernel: RunningKernel) -> None:
        self.kernel = kernel
        self.started: list[RoutingClient] = []

    def new(self) -> RoutingClient:
        kc = BlockingKernelClient()
        kc.load_connection_info(self.kernel.km.get_connection_info())  # key, ports; a new session id
        kc.start_channels()
        client = RoutingClient(kc)
        self.started.append(client)
        kc.wait_for_ready(timeout=STARTUP_TIMEOUT)
        client.wait_for_iopub()
        return client

    def close(self) -> None:
        for client in self.started:
            client.kc.stop_channels()


@pytest.fixture
def multi(start_kernel: Start) -> RunningKernel:
    return start_kernel(kernel_name="braid-multi")


@pytest.fixture
def clients(multi: RunningKernel) -> Iterator[Clients]:
    made = Clients(multi)
    try:
        yield made
    finally:
        made.close()


def sid(client: RoutingClient) -> str:
    """The client's session id (what the kernel keys sessions by)."""
    return str(client.kc.session.session)


def quiet_value(client: RoutingClient, expression: str) -> str:
    """``expression``'s repr, read through a silent request (no reactive run)."""
    done = client.run("", silent=True, user_expressions={"v": expression})
    return str(done.content["user_expressions"]["v"]["data"]["text/plain"])


def error_of(done: Executed) -> str:
    assert done.status == "error", done.describe()
    return str(done.content["ename"])


def test_each_client_session_has_its_own_variables_and_execution_count(
    multi: RunningKernel, clients: Clients
) -> None:
    other = clients.new()
    assert sid(multi) != sid(other)
    first = multi.run("x = 'from-a'")
    assert first.content["execution_count"] == 1
    assert error_of(other.execute("x")) == "NameError"
    other.run("x = 'from-b'")
    assert multi.value("x") == "'from-a'"
    assert other.value("x") == "'from-b'"
    assert multi.run("1").content["execution_count"] == 3  # a's own count: x=, x, 1
    assert other.run("2").content["execution_count"] == 4  # b's: x (an error), x=, x, 2
    assert "x = 'from-a'" in multi.value("In[1]")


def test_history_is_per_session(multi: RunningKernel, clients: Clients) -> None:
    other = clients.new()
    multi.run("a_only = 1")
    other.run("b_only = 2")
    mine = multi.request(
        "history_request", {"hist_access_type": "tail", "n": 10, "raw": True, "output": False}
    )
    theirs = other.request("history_request", {"hist_access_type": "tail", "n": 10, "raw": True})
    assert [entry[2] for entry in mine["content"]["history"]] == ["a_only = 1"]
    assert [entry[2] for entry in theirs["content"]["history"]] == ["b_only = 2"]


def test_completion_sees_the_callers_namespace(multi: RunningKernel, clients: Clients) -> None:
    other = clients.new()
    multi.run("only_in_a_variable = 1")
    mine = multi.request("complete_request", {"code": "only_in_a_", "cursor_pos": 10})["content"]
    theirs = other.request("complete_request", {"code": "only_in_a_", "cursor_pos": 10})["content"]
    assert mine["matches"] == ["only_in_a_variable"]
    assert theirs["matches"] == []


def test_chained_mode_orders_a_sessions_cells_but_never_across_sessions(
    multi: RunningKernel, clients: Clients
) -> None:
    other = clients.new()
    slow = multi.execute_request("import asyncio\nprint('slow-started', flush=True)\nawait asyncio.sleep(8)")
    multi.stream_until(slow, "slow-started")
    behind = multi.execute_request("'behind the slow cell'")
    done = other.run("'b is not held up'")  # b's chain is its own
    assert done.result == "'b is not held up'"
    assert not multi.has_reply(slow) and not multi.has_reply(behind)
    assert multi.finish(slow, timeout=30).status == "ok"
    assert multi.finish(behind).status == "ok"  # a's own cells stay in order


def test_interrupt_request_cancels_only_the_senders_awaiting_cells(
    multi: RunningKernel, clients: Clients
) -> None:
    other = clients.new()
    awaiting = "import asyncio\nprint('started', flush=True)\nawait asyncio.sleep(60)"
    mine, theirs = multi.execute_request(awaiting), other.execute_request(awaiting)
    multi.stream_until(mine, "started")
    other.stream_until(theirs, "started")
    assert multi.request("interrupt_request", channel="control")["content"]["status"] == "ok"
    assert error_of(multi.finish(mine)) == "KeyboardInterrupt"
    other.iopub_settle(1.0)
    assert not other.has_reply(theirs), "a's interrupt cancelled b's cell"
    other.request("interrupt_request", channel="control")
    assert error_of(other.finish(theirs)) == "KeyboardInterrupt"


def test_interrupt_from_another_session_does_not_stop_a_blocking_cell(
    multi: RunningKernel, clients: Clients
) -> None:
    other = clients.new()
    blocking = multi.execute_request("import time\nprint('blocking', flush=True)\ntime.sleep(60)")
    multi.stream_until(blocking, "blocking")
    other.request("interrupt_request", channel="control")  # b has nothing running
    multi.iopub_settle(1.5)
    assert not multi.has_reply(blocking), "b's interrupt stopped a's cell"
    queued_b = other.execute_request("'b after the block'")  # waits: the main thread is held
    multi.wait_for_log(f"session {sid(multi)[:8]} has held the main thread")
    multi.request("interrupt_request", channel="control")
    assert error_of(multi.finish(blocking)) == "KeyboardInterrupt"
    done = other.finish(queued_b)
    assert done.status == "ok" and done.result == "'b after the block'"
    table = other.run("%braid sessions").stdout
    row = next(line for line in table.splitlines() if line.startswith(sid(multi)[:8]))
    held = re.search(r"(\d+\.\d)s", row)
    assert held is not None and float(held[1]) >= 1.0, row  # a's cell held the main thread


def test_input_prompts_go_to_the_asking_client(multi: RunningKernel, clients: Clients) -> None:
    other = clients.new()
    cell = multi.execute_request("answer = input('a? ')", allow_stdin=True)
    request = multi.reply(cell, "stdin", timeout=10)
    assert request["content"]["prompt"] == "a? "
    other.drain("stdin")
    assert not any(other.replies["stdin"].values()), "b got a's input_request"
    multi.kc.input("for-a")
    assert multi.finish(cell).status == "ok"
    assert multi.value("answer") == "'for-a'"
    assert error_of(other.execute("answer")) == "NameError"


def test_an_input_reply_answers_only_its_own_sessions_question(
    multi: RunningKernel, clients: Clients
) -> None:
    """Another session's input_reply, without a parent (``kc.input()``) or naming a question that
    is not pending, never answers this session's ``input()``."""
    other = clients.new()
    cell = multi.execute_request("answer = input('a? ')", allow_stdin=True)
    multi.reply(cell, "stdin", timeout=10)
    other.kc.input("from b")
    multi.wait_for_log("input_reply without a parent .* dropped")
    forged = other.kc.session.msg(
        "input_reply", {"value": "forged", "status": "ok"}, parent={"msg_id": "not-asked"}
    )
    other.kc.stdin_channel.send(forged)
    multi.wait_for_log("input_reply for a question that is not pending")
    assert not multi.has_reply(cell)
    multi.kc.input("for-a")
    assert multi.finish(cell).status == "ok"
    assert multi.value("answer") == "'for-a'"


def test_comms_belong_to_the_session_that_opened_them(multi: RunningKernel, clients: Clients) -> None:
    other = clients.new()
    comm_id = multi.value(
        "import comm\n"
        "got = []\n"
        "c = comm.create_comm(target_name='braid.test')\n"
        "c.on_msg(lambda msg: got.append(msg['content']['data']))\n"
        "c.comm_id"
    ).strip("'")
    assert comm_id in multi.request("comm_info_request")["content"]["comms"]
    assert comm_id not in other.request("comm_info_request")["content"]["comms"]
    other.iopub_until_idle(other.send("shell", "comm_msg", {"comm_id": comm_id, "data": {"from": "b"}}))
    multi.iopub_until_idle(multi.send("shell", "comm_msg", {"comm_id": comm_id, "data": {"from": "a"}}))
    assert multi.value("got") == "[{'from': 'a'}]"
    multi.wait_for_log("comm_msg from session .* ignored")


def test_braid_sessions_lists_every_session_and_marks_the_caller(
    multi: RunningKernel, clients: Clients
) -> None:
    other = clients.new()
    multi.run("%braid session name alpha")
    other.run("big = list(range(100000))")
    table = multi.run("%braid sessions").stdout
    lines = table.splitlines()
    assert lines[0].split()[:4] == ["session", "name", "clients", "cells"]
    mine = next(line for line in lines if sid(multi)[:8] in line)
    theirs = next(line for line in lines if sid(other)[:8] in line)
    assert f"{sid(multi)[:8]}*" in mine and "alpha" in mine
    assert "*" not in theirs.split()[0]
    assert "MB" in theirs  # the list of 100,000 ints is counted
    assert "2 session(s)" in table


def test_attach_after_reconnect_finds_the_named_session(multi: RunningKernel, clients: Clients) -> None:
    multi.run("%braid session name notebook-1")
    multi.run("kept = 41")
    first = clients.new()
    assert "belongs to session" in strip_ansi(str(first.execute("%braid session name notebook-1").content))
    multi.kc.stop_channels()  # the page is reloaded: a new connection, a new session id
    again = clients.new()
    assert error_of(again.execute("kept")) == "NameError"
    attached = again.run("%braid session attach notebook-1")
    assert "attached to session 'notebook-1'" in attached.stdout
    done = again.run("kept + 1")
    assert done.result == "42"
    assert done.content["execution_count"] == 3  # the named session's count goes on
    missing = again.execute("%braid session attach nowhere")
    assert "no session is named 'nowhere'" in strip_ansi(str(missing.content["evalue"]))


def test_session_reset_clears_only_the_calling_session(multi: RunningKernel, clients: Clients) -> None:
    other = clients.new()
    multi.run("mine = 1")
    other.run("theirs = 2")
    assert "session reset" in multi.run("%braid session reset").stdout
    assert error_of(multi.execute("mine")) == "NameError"
    assert multi.run("'fresh'").content["execution_count"] == 2  # counting starts again
    assert other.value("theirs") == "2"


def test_reactive_graphs_are_per_session(multi: RunningKernel, clients: Clients) -> None:
    other = clients.new()
    for client in (multi, other):
        client.run("%braid react on")
    multi.run("a = 1")
    multi.run("b = a * 2")
    rerun = other.run("a = 10")  # the cell defining b is a's: nothing to re-run in b's graph
    assert rerun.reply["metadata"]["braid"]["reran"] == []
    assert quiet_value(multi, "b") == "2"
    again = multi.run("a = 3")
    assert again.reply["metadata"]["braid"]["reran"] == ["defines:b"]
    assert quiet_value(multi, "b") == "6"


def lazy_cell(client: RoutingClient, code: str, cell_id: str) -> Executed:
    """Run ``code`` as JupyterLab's cell ``cell_id`` (its id in the request's metadata)."""
    content = {"code": code, "silent": False, "store_history": True, "user_expressions": {}}
    msg = client.kc.session.msg("execute_request", content, metadata={"cellId": cell_id})
    client.kc.shell_channel.send(msg)
    done = client.finish(msg["header"]["msg_id"])
    assert done.status == "ok", done.describe()
    return done


def test_run_stale_from_the_comm_runs_the_senders_stale_cells_only(
    multi: RunningKernel, clients: Clients
) -> None:
    other = clients.new()
    for client in (multi, other):
        client.run("%braid react lazy")
        lazy_cell(client, "a = 1", "one")
        lazy_cell(client, "b = a + 1", "two")
        assert lazy_cell(client, "a = 5", "one").reply["metadata"]["braid"]["stale"] == ["two"]
    opened = other.send(
        "shell", "comm_open", {"comm_id": "dataflow-b", "target_name": "braid.dataflow", "data": {}}
    )
    graph = other.iopub_wait(opened, lambda m: m["msg_type"] == "comm_msg", what="graph on open")
    assert graph["content"]["data"]["stale"] == ["two"]
    asked = other.send("shell", "comm_msg", {"comm_id": "dataflow-b", "data": {"request": "run_stale"}})
    after = other.iopub_wait(
        asked,
        lambda m: m["msg_type"] == "comm_msg" and "stale" in m["content"]["data"],
        what="the graph after the stale cells ran",
    )
    assert after["content"]["data"]["stale"] == []
    steps = [
        m["content"]["data"]["progress"]
        for m in other.iopub_by_parent[asked]
        if m["msg_type"] == "comm_msg" and "progress" in m["content"]["data"]
    ]
    assert steps[0] == {"two": "queued"} and steps[-1] == {"two": "reran"}
    assert quiet_value(other, "b") == "6"
    assert quiet_value(multi, "b") == "2"  # the other notebook's stale cell did not run
    assert lazy_cell(multi, "'probe'", "probe").reply["metadata"]["braid"]["stale"] == ["two"]


def test_cache_scope_is_per_session(multi: RunningKernel, clients: Clients) -> None:
    other = clients.new()
    code = f"token = '{uuid.uuid4().hex}'"
    for client in (multi, other):
        client.run("%braid cache on")
    assert multi.run(code).reply["metadata"]["braid"]["cache"] == "miss"
    assert multi.run(code).reply["metadata"]["braid"]["cache"] == "hit"
    assert other.run(code).reply["metadata"]["braid"]["cache"] == "miss"  # another session's entry


def test_idle_sessions_are_freed(start_kernel: Start) -> None:
    kernel = start_kernel(
        kernel_name="braid-multi", extra_arguments=["--session-idle-timeout", "1", "--log-level", "INFO"]
    )
    made = Clients(kernel)
    try:
        busy = made.new()
        busy.run("kept = 'while busy'")
        waiting = busy.execute_request("import asyncio\nawait asyncio.sleep(4)\nkept")
        kernel.run("dropped = 1")
        kernel.wait_for_log("freed")  # the idle session goes (the log proves it), the busy one stays
        assert error_of(kernel.execute("dropped")) == "NameError"
        assert busy.finish(waiting).result == "'while busy'"
    finally:
        made.close()


def test_sessions_commands_explain_multi_mode_elsewhere(fresh_kernel: RunningKernel) -> None:
    done = fresh_kernel.execute("%braid sessions")
    assert "braid-kernel install multi" in strip_ansi(str(done.content.get("evalue", "")) + done.stderr)


def test_sessions_are_isolated_on_the_trio_backend(start_kernel: Start) -> None:
    kernel = start_kernel(kernel_name="braid-multi", extra_arguments=["--backend", "trio"])
    made = Clients(kernel)
    try:
        other = made.new()
        kernel.run("x = 'a'")
        slow = kernel.execute_request("import trio\nprint('slow', flush=True)\nawait trio.sleep(60)")
        kernel.stream_until(slow, "slow")
        assert error_of(other.execute("x")) == "NameError"  # and not held up by a's cell
        kernel.request("interrupt_request", channel="control")
        assert error_of(kernel.finish(slow)) == "KeyboardInterrupt"
        assert kernel.value("x") == "'a'"
    finally:
        made.close()


def test_widgets_of_two_notebooks_stay_apart(multi: RunningKernel, clients: Clients) -> None:
    other = clients.new()
    ids = {}
    for client, value in ((multi, 3), (other, 5)):
        shown = client.run(
            f"import ipywidgets as w\nslider = w.IntSlider(value={value})\ndisplay(slider)\nslider.model_id"
        )
        ids[value] = shown.result.strip("'")
    update = {"method": "update", "state": {"value": 7}, "buffer_paths": []}
    for comm_id in ids.values():  # b moves both sliders: only its own moves
        other.iopub_until_idle(other.send("shell", "comm_msg", {"comm_id": comm_id, "data": update}))
    assert multi.value("slider.value") == "3"
    assert other.value("slider.value") == "7"
    mine = multi.request("comm_info_request", {"target_name": "jupyter.widget"})["content"]["comms"]
    assert ids[3] in mine and ids[5] not in mine


def test_a_failing_cell_aborts_only_its_own_sessions_queue(multi: RunningKernel, clients: Clients) -> None:
    other = clients.new()
    failing = multi.execute_request("import asyncio\nawait asyncio.sleep(1)\n1 / 0")
    queued = multi.execute_request("'a, queued behind the failure'")
    theirs = other.execute_request("'b, sent meanwhile'")
    assert error_of(multi.finish(failing)) == "ZeroDivisionError"
    assert multi.finish(queued).status == "aborted"
    assert other.finish(theirs).status == "ok"
