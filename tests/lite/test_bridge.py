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
