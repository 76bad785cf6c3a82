"""LiteBridge on the host's asyncio loop: what the JupyterLite worker relies on, without Pyodide.

(tests/lite/test_pyodide.py runs the same bridge under Pyodide.)
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from braid_kernel.app.lite import LiteBridge

pytestmark = [pytest.mark.timeout(60), pytest.mark.anyio]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _request(msg_type: str, content: dict[str, Any], session: str, msg_id: str) -> str:
    header = {
        "msg_id": msg_id,
        "msg_type": msg_type,
        "session": session,
        "username": "lite",
        "date": "2026-12-06T00:00:00Z",
        "version": "5.5",
    }
    return json.dumps(
        {"channel": "shell", "header": header, "parent_header": {}, "metadata": {}, "content": content}
    )


async def test_replies_carry_the_clients_session_and_input_asks_synchronously() -> None:
    received: list[dict[str, Any]] = []
    asked: list[dict[str, Any]] = []
    done = asyncio.Event()

    def send(text: str, buffers: list[bytes]) -> None:
        msg = json.loads(text)
        assert "buffers" not in msg and buffers == []
        received.append(msg)
        if msg["msg_type"] == "execute_reply" and msg["parent_header"]["msg_id"] == "two":
            done.set()

    def ask(text: str) -> str:
        asked.append(json.loads(text))
        return "Ada"

    bridge = LiteBridge(send, ask)
    await bridge.start()
    try:
        code = {"silent": False, "store_history": True, "user_expressions": {}, "allow_stdin": True}
        bridge.handle(_request("execute_request", {**code, "code": "print(input('name? '))"}, "tab-1", "one"))
        bridge.handle(_request("execute_request", {**code, "code": "'two'"}, "tab-2", "two"))
        await asyncio.wait_for(done.wait(), 30)
    finally:
        await bridge.stop()
    assert not bridge.running
    by_parent = {(m["parent_header"].get("msg_id"), m["msg_type"]): m for m in received}
    assert by_parent[("one", "stream")]["content"]["text"] == "Ada\n"
    assert {m["header"]["session"] for m in received if m["parent_header"].get("msg_id") == "one"} == {
        "tab-1"
    }
    assert {m["header"]["session"] for m in received if m["parent_header"].get("msg_id") == "two"} == {
        "tab-2"
    }
    (request,) = asked
    assert request["content"] == {"prompt": "name? ", "password": False}
    assert request["parent_header"]["msg_id"] == "one"
    assert request["header"]["session"] == request["parent_header"]["session"] == "tab-1"


async def test_modes_react_lazy_start_the_kernel_in_lazy_reactive_mode() -> None:
    received: list[dict[str, Any]] = []
    done = asyncio.Event()

    def send(text: str, buffers: list[bytes]) -> None:
        msg = json.loads(text)
        received.append(msg)
        idle = msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle"
        if idle and msg["parent_header"].get("msg_id") == "one":
            done.set()  # the request's output came before its idle status

    bridge = LiteBridge(send, modes="react-lazy")
    await bridge.start()
    try:
        code = {"silent": False, "store_history": True, "user_expressions": {}, "allow_stdin": False}
        bridge.handle(_request("execute_request", {**code, "code": "%braid react"}, "tab-1", "one"))
        await asyncio.wait_for(done.wait(), 30)
    finally:
        await bridge.stop()
    shown = [m["content"]["data"]["text/plain"] for m in received if m["msg_type"] == "display_data"]
    assert [text.strip() for text in shown] == ["react lazy"]


def test_lazy_without_react_is_refused() -> None:
    from braid_kernel.errors import ConfigError

    with pytest.raises(ConfigError, match="react"):
        LiteBridge(lambda text, buffers: None, modes="lazy")


def test_run_stale_over_the_dataflow_comm_reruns_the_stale_cells() -> None:
    """What the Run stale button of braid's JupyterLab extension sends, on a host loop that anyio
    did not start (Pyodide's; here plain asyncio.run, not pytest's anyio runner, which would mark
    the context as asyncio's): the stale cell runs and its display updates."""
    asyncio.run(_run_stale_scenario())


async def _run_stale_scenario() -> None:
    received: list[dict[str, Any]] = []
    idle: dict[str, asyncio.Event] = {}
    updated = asyncio.Event()

    def send(text: str, buffers: list[bytes]) -> None:
        msg = json.loads(text)
        received.append(msg)
        if msg["msg_type"] == "update_display_data":
            updated.set()
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            idle.setdefault(msg["parent_header"].get("msg_id", ""), asyncio.Event()).set()

    async def request(msg_type: str, content: dict[str, Any], msg_id: str, cell: str = "") -> None:
        text = json.loads(_request(msg_type, content, "tab-1", msg_id))
        text["metadata"] = {"cellId": cell} if cell else {}
        bridge.handle(json.dumps(text))
        await asyncio.wait_for(idle.setdefault(msg_id, asyncio.Event()).wait(), 30)

    bridge = LiteBridge(send, modes="react-lazy")
    await bridge.start()
    code = {"silent": False, "store_history": True, "user_expressions": {}, "allow_stdin": False}
    try:
        await request("execute_request", {**code, "code": "x = 1"}, "one", "cell-x")
        await request("execute_request", {**code, "code": "y = x * 10\ny"}, "two", "cell-y")
        await request("execute_request", {**code, "code": "x = 2"}, "three", "cell-x")
        await request("comm_open", {"comm_id": "c1", "target_name": "braid.dataflow", "data": {}}, "open")
        del received[:]
        await request("comm_msg", {"comm_id": "c1", "data": {"request": "run_stale"}}, "stale")
        # The stale cell's run is a task of its own: its display update may follow the comm's idle.
        await asyncio.wait_for(updated.wait(), 30)
    finally:
        await bridge.stop()
    (update,) = [m for m in received if m["msg_type"] == "update_display_data"]
    assert update["content"]["data"]["text/plain"] == "20"
