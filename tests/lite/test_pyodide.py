"""braid under Pyodide, in Node: the npm package's Pyodide runs the built braid wheel.

``python3 dev.py lite-deps`` (here :func:`lite.deps.ensure`, cached in ``.lite-cache``) fetches
Pyodide from npm, builds the braid wheel from this checkout and downloads its dependencies as
wheels resolved for Pyodide's own marker environment; ``pyodide_kernel.mjs`` installs them into
Pyodide and drives :class:`~braid_kernel.app.lite.LiteBridge` (what the JupyterLite worker runs)
with raw protocol messages.  One Node process serves every test of this module: a plain kernel,
then a react kernel, then a cache kernel, one after another.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from lite import deps

pytestmark = [pytest.mark.timeout(600), pytest.mark.slow]

HARNESS = Path(__file__).with_name("pyodide_kernel.mjs")
Msg = dict[str, Any]


@pytest.fixture(scope="module")
def run() -> dict[str, Any]:
    node = shutil.which("node")
    if node is None or shutil.which("npm") is None:
        pytest.skip("Node.js with npm is not installed (apt-get install nodejs npm): no Pyodide to run")
    manifest = deps.ensure(deps.DEFAULT_CACHE)
    assert manifest.wheels[0].name.startswith("braid_kernel-")
    proc = subprocess.run(
        [node, HARNESS, deps.DEFAULT_CACHE], capture_output=True, text=True, timeout=500, check=False
    )
    assert proc.returncode == 0, proc.stderr[-5000:]
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result.get("error") is None, f"{result['error']}\n{proc.stderr[-5000:]}"
    return result


def _of(messages: list[Msg], msg_type: str) -> list[Msg]:
    return [m for m in messages if m["msg_type"] == msg_type]


def _reply(messages: list[Msg]) -> Msg:
    (reply,) = [m for m in messages if m["msg_type"].endswith("_reply")]
    return reply


def _stdout(messages: list[Msg]) -> str:
    return "".join(m["content"]["text"] for m in _of(messages, "stream") if m["content"]["name"] == "stdout")


def test_runs_the_pyodide_from_npm_with_the_stdlib_json_encoder(run: dict[str, Any]) -> None:
    plain = run["kernels"]["plain"]
    assert run["pyodide"].startswith("314.0.")
    assert _of(plain["other_session"], "execute_result")[0]["content"]["data"]["text/plain"] == "'emscripten'"
    assert _of(plain["encoder"], "execute_result")[0]["content"]["data"]["text/plain"] == "'json'"


def test_kernel_info_advertises_no_subshells(run: dict[str, Any]) -> None:
    info = _reply(run["kernels"]["plain"]["kernel_info"])["content"]
    assert info["status"] == "ok"
    assert info["implementation"] == "braid-kernel"
    assert info["language_info"]["version"].startswith("3.14")
    assert "kernel subshells" not in info.get("supported_features", [])


def test_execute_with_top_level_await(run: dict[str, Any]) -> None:
    cell = run["kernels"]["plain"]["await_cell"]
    assert _stdout(cell) == "2\n"
    assert _of(cell, "execute_result")[0]["content"]["data"]["text/plain"] == "42"
    assert _reply(cell)["content"]["status"] == "ok"


def test_display_and_error(run: dict[str, Any]) -> None:
    plain = run["kernels"]["plain"]
    assert _of(plain["display"], "display_data")[0]["content"]["data"]["text/html"] == "<b>hi</b>"
    (error,) = _of(plain["error"], "error")
    assert error["content"]["ename"] == "ZeroDivisionError"
    assert _reply(plain["error"])["content"]["status"] == "error"


def test_completion_and_is_complete(run: dict[str, Any]) -> None:
    plain = run["kernels"]["plain"]
    assert "asyncio" in _reply(plain["complete"])["content"]["matches"]
    assert _reply(plain["incomplete"])["content"]["status"] == "incomplete"
    assert _reply(plain["complete_code"])["content"]["status"] == "complete"


def test_input_goes_through_the_input_handler(run: dict[str, Any]) -> None:
    plain = run["kernels"]["plain"]
    (request,) = plain["inputs"]
    assert request["content"] == {"prompt": "who? ", "password": False}
    assert request["header"]["session"] == "client-1"
    assert _stdout(plain["input"]) == "hello typed at who? \n"


def test_interrupt_stops_an_awaiting_cell(run: dict[str, Any]) -> None:
    plain = run["kernels"]["plain"]
    assert _reply(plain["interrupt"])["content"]["status"] == "ok"
    reply = _reply(plain["interrupted"])["content"]
    assert (reply["status"], reply["ename"]) == ("error", "KeyboardInterrupt")
    assert plain["interruptMs"] < 25_000, "the 30 s sleep ran to its end"
    assert (
        _of(plain["after_interrupt"], "execute_result")[0]["content"]["data"]["text/plain"] == "'still here'"
    )


def test_subshells_and_shell_commands_are_refused_with_a_reason(run: dict[str, Any]) -> None:
    plain = run["kernels"]["plain"]
    reply = _reply(plain["subshell"])["content"]
    assert (reply["status"], reply["ename"]) == ("error", "UnavailableHere")
    assert "cannot start threads" in reply["evalue"]
    assert not _of(plain["subshell"], "stream"), "the refusal reached the frontend as a log traceback"
    (error,) = _of(plain["shell_command"], "error")
    assert error["content"]["ename"] == "UnavailableHere"
    assert "cannot start processes" in error["content"]["evalue"]


def test_replies_carry_the_session_of_the_request(run: dict[str, Any]) -> None:
    plain = run["kernels"]["plain"]
    assert {m["header"]["session"] for m in plain["await_cell"]} == {"client-1"}
    assert {m["header"]["session"] for m in plain["other_session"]} == {"client-2"}


def test_react_reruns_a_dependent_cell(run: dict[str, Any]) -> None:
    react = run["kernels"]["react"]
    assert _of(react["below"], "display_data")[0]["content"]["data"]["text/plain"] == "y is 10\n"
    (update,) = _of(react["rerun"], "update_display_data")
    assert update["content"]["data"]["text/plain"] == "y is 20\n"
    assert update["content"]["transient"]["display_id"] == "braid-react-below"


def test_cache_hit_without_a_writer_thread(run: dict[str, Any]) -> None:
    cache = run["kernels"]["cache"]
    assert _reply(cache["first"])["metadata"]["braid"]["cache"] == "miss"
    again = _reply(cache["again"])
    assert again["metadata"]["braid"]["cache"] == "hit"
    assert _stdout(cache["again"]) == "computed 45\n"  # replayed
    assert _of(cache["value"], "execute_result")[0]["content"]["data"]["text/plain"] == "45"
    assert not [m for t in cache.values() for m in _of(t, "stream") if m["content"]["name"] == "stderr"]


def test_concurrent_mode_runs_cells_at_once(run: dict[str, Any]) -> None:
    assert run["kernels"]["concurrent"]["order"] == ["quick", "slow"]


def test_what_the_browser_cannot_do_is_refused_with_a_reason(run: dict[str, Any]) -> None:
    plain = run["kernels"]["plain"]
    (error,) = _of(plain["gui"], "error")
    assert "not available in the browser" in error["content"]["evalue"]
    debug = _reply(plain["debug"])["content"]
    assert debug["success"] is False
    assert debug["message"] == (
        "the debugger is not available: this platform (emscripten: Pyodide, JupyterLite) cannot start threads"
    )
    assert "leave multi out" in run["kernels"]["multi"]["refused"]


def test_cache_mode_stores_in_the_workers_file_system(run: dict[str, Any]) -> None:
    where = _of(run["kernels"]["plain"]["cache_where"], "execute_result")[0]["content"]["data"]["text/plain"]
    assert where == "'/home/pyodide/.cache/braid-kernel'"  # in memory: as long as the kernel's worker
