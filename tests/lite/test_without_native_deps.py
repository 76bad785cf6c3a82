"""The in-process kernel runs where pyzmq, jupyter_client, debugpy and orjson cannot exist.

Under Pyodide (``sys_platform == "emscripten"``) pyproject's markers leave these distributions out,
so the in-process path must not import them.  A subprocess blocks them with a meta-path finder
(as if they were not installed), enters an :class:`~braid_kernel.InProcessKernel` through the
callback form a JupyterLite worker uses and runs cells: output, display, an error and the JSON
codec all work without them.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.timeout(120)

BLOCKED = ("zmq", "jupyter_client", "debugpy", "orjson", "psutil")

_SCRIPT = textwrap.dedent(
    """
    import asyncio, importlib.abc, json, sys

    BLOCKED = set(sys.argv[1].split(","))
    attempts = []

    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in BLOCKED:
                attempts.append(name)
                raise ModuleNotFoundError(f"No module named {name!r} (blocked)", name=name)
            return None

    sys.meta_path.insert(0, Block())

    from braid_kernel import InProcessKernel

    def message(msg_type, content, msg_id):
        header = {"msg_id": msg_id, "msg_type": msg_type, "session": "s", "username": "u",
                  "date": "2026-12-06T00:00:00Z", "version": "5.5"}
        return {"channel": "shell", "header": header, "parent_header": {}, "metadata": {},
                "content": content}

    async def main():
        received = []
        done = asyncio.Event()
        def send(msg):
            received.append(msg)
            if msg["msg_type"] == "execute_reply" and msg["parent_header"]["msg_id"] == "last":
                done.set()
        async with InProcessKernel() as kernel:
            conn = kernel.connect(send)
            cells = [
                ("a", "import asyncio\\nprint(1 + 1)\\nawait asyncio.sleep(0)\\n"
                      "{'big': 2**70, 's': '\\\\udcff'}"),
                ("b", "from IPython.display import display, HTML\\ndisplay(HTML('<b>x</b>'))"),
                ("last", "1/0"),
            ]
            for msg_id, code in cells:
                conn.handle_message(message("execute_request", {"code": code, "silent": False,
                    "store_history": True, "user_expressions": {}, "allow_stdin": False}, msg_id))
            await asyncio.wait_for(done.wait(), 60)
        return received

    received = asyncio.run(main())
    out = [
        [m["parent_header"].get("msg_id"), m["msg_type"], m["content"]]
        for m in received
        if m["msg_type"] in ("stream", "execute_result", "display_data", "error", "execute_reply")
    ]
    loaded = sorted({name.partition(".")[0] for name in sys.modules} & BLOCKED)
    print(json.dumps({"out": out, "loaded": loaded, "attempts": sorted(set(attempts))}))
    """
)


def _run_blocked() -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, "-c", _SCRIPT, ",".join(BLOCKED)],
        capture_output=True,
        text=True,
        timeout=100,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def test_in_process_kernel_runs_cells_without_zmq_jupyter_client_debugpy_or_orjson() -> None:
    result = _run_blocked()
    assert result["loaded"] == []
    out = result["out"]
    assert isinstance(out, list)
    by_type = {(msg_id, msg_type): content for msg_id, msg_type, content in out}
    assert by_type[("a", "stream")]["text"] == "2\n"
    # the stdlib codec's repair pass: a lone surrogate becomes U+FFFD, a big int keeps its digits
    assert (
        by_type[("a", "execute_result")]["data"]["text/plain"]
        == "{'big': 1180591620717411303424, 's': '\\udcff'}"
    )
    assert by_type[("b", "display_data")]["data"]["text/html"] == "<b>x</b>"
    assert by_type[("last", "error")]["ename"] == "ZeroDivisionError"
    assert [c["status"] for (_, t), c in by_type.items() if t == "execute_reply"] == ["ok", "ok", "error"]
