"""JEP 91 subshells over ZeroMQ: create/list/delete, parallel running, namespaces, interrupts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.protocol.kernel_client import Executed, Msg, RunningKernel, strip_ansi

pytestmark = pytest.mark.timeout(120)

BLOCKING = "import time\nprint('cell-started', flush=True)\ntime.sleep(60)"
AWAITING = "import asyncio\nprint('cell-started', flush=True)\nawait asyncio.sleep(60)"
SPINNING = "print('cell-started', flush=True)\nwhile True:\n    pass"


def create(kernel: RunningKernel, **content: Any) -> str:
    reply = kernel.request("create_subshell_request", content, channel="control")["content"]
    assert reply["status"] == "ok", reply
    return str(reply["subshell_id"])


def delete(kernel: RunningKernel, sid: str) -> dict[str, Any]:
    reply: dict[str, Any] = kernel.request(
        "delete_subshell_request", {"subshell_id": sid}, channel="control", timeout=30
    )["content"]
    return reply


def listed(kernel: RunningKernel) -> list[str]:
    return list(kernel.request("list_subshell_request", channel="control")["content"]["subshell_id"])


def send_execute(kernel: RunningKernel, code: str, sid: str | None, **content: Any) -> str:
    body = {
        "code": code,
        "silent": False,
        "store_history": True,
        "user_expressions": {},
        "allow_stdin": False,
        "stop_on_error": True,
        **content,
    }
    header = {"subshell_id": sid} if sid is not None else {}
    return kernel.send("shell", "execute_request", body, **header)


def run_in(
    kernel: RunningKernel, code: str, sid: str | None, timeout: float = 20, **content: Any
) -> Executed:
    done = kernel.finish(send_execute(kernel, code, sid, **content), timeout)
    assert done.status == "ok", f"cell failed: {done.describe()}\n{done.content.get('traceback')}"
    return done


def value_in(kernel: RunningKernel, expression: str, sid: str | None) -> str:
    return run_in(kernel, expression, sid).result


def request_in(kernel: RunningKernel, msg_type: str, content: dict[str, Any], sid: str | None) -> Msg:
    header = {"subshell_id": sid} if sid is not None else {}
    reply: Msg = kernel.request(msg_type, content, **header)["content"]
    return reply


def start_in(kernel: RunningKernel, code: str, sid: str | None) -> str:
    cell = send_execute(kernel, code, sid)
    kernel.stream_until(cell, "cell-started")
    return cell


def assert_interrupted(done: Executed) -> None:
    assert done.status == "error", done.describe()
    assert done.content["ename"] == "KeyboardInterrupt", done.describe()


# ------------------------------------------------------------ lifecycle


def test_create_list_delete(fresh_kernel: RunningKernel) -> None:
    assert "kernel subshells" in fresh_kernel.kernel_info()["supported_features"]
    first, second = create(fresh_kernel), create(fresh_kernel)
    assert sorted(listed(fresh_kernel)) == sorted([first, second])
    assert delete(fresh_kernel, first)["status"] == "ok"
    assert listed(fresh_kernel) == [second]
    again = delete(fresh_kernel, first)
    assert again["status"] == "error" and again["ename"] == "UnknownSubshell", again


def test_unknown_subshell_id_is_an_error(kernel: RunningKernel) -> None:
    done = kernel.finish(send_execute(kernel, "1 + 1", "no-such-subshell"))
    assert done.status == "error" and done.content["ename"] == "UnknownSubshell", done.describe()


def test_unknown_namespace_option_is_an_error(kernel: RunningKernel) -> None:
    reply = kernel.request("create_subshell_request", {"namespace": "private"}, channel="control")["content"]
    assert reply["status"] == "error", reply
    assert "'shared' or 'isolated'" in reply["evalue"], reply


# ------------------------------------------------------------ running in parallel


def test_subshell_answers_while_the_main_shell_blocks(fresh_kernel: RunningKernel) -> None:
    sid = create(fresh_kernel)
    main = start_in(fresh_kernel, "import time\nprint('cell-started', flush=True)\ntime.sleep(5)", None)
    assert value_in(fresh_kernel, "'from the subshell'", sid) == "'from the subshell'"
    assert not fresh_kernel.has_reply(main), "the subshell answered only after the main cell"
    assert fresh_kernel.finish(main, timeout=30).status == "ok"


def test_main_shell_answers_while_a_subshell_blocks(fresh_kernel: RunningKernel) -> None:
    sid = create(fresh_kernel)
    cell = start_in(fresh_kernel, "import time\nprint('cell-started', flush=True)\ntime.sleep(5)", sid)
    assert fresh_kernel.value("'from main'") == "'from main'"
    assert not fresh_kernel.has_reply(cell), "the main shell answered only after the subshell cell"
    assert fresh_kernel.finish(cell, timeout=30).status == "ok"


def test_two_subshells_sleep_at_the_same_time(fresh_kernel: RunningKernel) -> None:
    """Both cells start before either ends: each subshell has its own thread."""
    first, second = create(fresh_kernel), create(fresh_kernel)
    code = (
        "import time\nstarts = globals().setdefault('starts', [])\nstarts.append(time.monotonic())\n"
        "time.sleep(1)\ntime.monotonic()"
    )
    cells = [send_execute(fresh_kernel, code, sid) for sid in (first, second)]
    ends = [float(fresh_kernel.finish(cell, timeout=30).result) for cell in cells]
    starts = [float(x) for x in fresh_kernel.value("starts").strip("[]").split(",")]
    assert max(starts) < min(ends), (starts, ends)


def test_subshell_output_carries_its_request_as_parent(kernel: RunningKernel) -> None:
    sid = create(kernel)
    done = run_in(kernel, "print('hello from a subshell')", sid)
    assert done.stdout == "hello from a subshell\n"
    assert done.reply["header"].get("subshell_id") == sid


# ------------------------------------------------------------ namespaces


def test_subshells_share_the_main_namespace_by_default(kernel: RunningKernel) -> None:
    sid = create(kernel)
    kernel.run("shared_value = 41")
    run_in(kernel, "shared_value += 1", sid)
    assert kernel.value("shared_value") == "42"


def test_isolated_subshell_has_its_own_variables(kernel: RunningKernel) -> None:
    sid = create(kernel, namespace="isolated")
    kernel.run("main_only = 'main'")
    run_in(kernel, "sub_only = 'sub'\nmain_only_seen = 'main_only' in globals()", sid)
    assert value_in(kernel, "main_only_seen", sid) == "False"
    assert kernel.value("'sub_only' in globals()") == "False"
    assert kernel.value("main_only") == "'main'"
    # Its own _ and Out as well.
    value_in(kernel, "'sub result'", sid)
    assert value_in(kernel, "_", sid) == "'sub result'"
    kernel.value("'main result'")
    assert value_in(kernel, "__", sid) == "'sub result'"


def test_isolated_subshell_has_its_own_execution_count_and_history(fresh_kernel: RunningKernel) -> None:
    k = fresh_kernel
    for code in ("a = 1", "b = 2", "c = 3"):
        k.run(code)
    sid = create(k, namespace="isolated")
    first = run_in(k, "x = 'first'", sid)
    second = run_in(k, "y = 'second'", sid)
    assert (first.content["execution_count"], second.content["execution_count"]) == (1, 2)
    assert value_in(k, "In[1].strip()", sid) == "\"x = 'first'\""
    assert k.run("d = 4").content["execution_count"] == 4

    sub = request_in(k, "history_request", {"hist_access_type": "tail", "n": 10, "raw": True}, sid)
    assert [entry[1:] for entry in sub["history"][:2]] == [[1, "x = 'first'"], [2, "y = 'second'"]]
    assert all("a = 1" not in str(entry) for entry in sub["history"])
    main = k.request("history_request", {"hist_access_type": "tail", "n": 10, "raw": True})["content"]
    sources = [entry[2] for entry in main["history"]]
    assert "d = 4" in sources and "x = 'first'" not in sources

    found = request_in(k, "history_request", {"hist_access_type": "search", "pattern": "y*"}, sid)
    assert [entry[2] for entry in found["history"]] == ["y = 'second'"]


def test_reset_in_an_isolated_subshell_keeps_the_kernels_names(kernel: RunningKernel) -> None:
    sid = create(kernel, namespace="isolated")
    run_in(kernel, "gone = 1\n%reset -f", sid)
    names = "['__task__', '__chain_execution__', '__unchain_execution__', 'run_on', 'gone']"
    assert (
        value_in(kernel, f"[name in globals() for name in {names}]", sid) == "[True, True, True, True, False]"
    )


def test_isolated_subshell_completes_and_inspects_its_own_names(kernel: RunningKernel) -> None:
    sid = create(kernel, namespace="isolated")
    kernel.run("main_side_name = 1")
    run_in(kernel, "sub_side_name = [1, 2, 3]", sid)
    matches = request_in(kernel, "complete_request", {"code": "sub_side_", "cursor_pos": 9}, sid)["matches"]
    assert "sub_side_name" in matches
    matches = request_in(kernel, "complete_request", {"code": "main_side_", "cursor_pos": 10}, sid)["matches"]
    assert "main_side_name" not in matches
    found = request_in(kernel, "inspect_request", {"code": "sub_side_name", "cursor_pos": 5}, sid)
    assert found["found"] is True and "list" in strip_ansi(found["data"]["text/plain"])
    main = kernel.request("inspect_request", {"code": "sub_side_name", "cursor_pos": 5})["content"]
    assert main["found"] is False


def test_isolated_subshell_user_expressions_and_who(kernel: RunningKernel) -> None:
    sid = create(kernel, namespace="isolated")
    kernel.run("visible_in_main = 1")
    done = run_in(kernel, "only_here = 6 * 7", sid, user_expressions={"v": "only_here"})
    assert done.content["user_expressions"]["v"]["data"]["text/plain"] == "42"
    assert run_in(kernel, "%who", sid).stdout.split() == ["only_here"]
    assert "loop" in run_in(kernel, "%timeit -n1 -r1 only_here + 1", sid).stdout
    threaded = (
        "import threading\nseen = []\n"
        "t = threading.Thread(target=lambda: seen.append('only_here' in get_ipython().user_ns))\n"
        "t.start(); t.join()\nseen"
    )
    assert run_in(kernel, threaded, sid).result == "[True]"
    assert kernel.value("'only_here' in get_ipython().user_ns") == "False"


def test_kernel_option_makes_every_subshell_isolated(start_kernel: Callable[..., RunningKernel]) -> None:
    k = start_kernel(extra_arguments=["--subshell-namespace", "isolated"])
    k.run("in_main = 1")
    sid = create(k)
    assert value_in(k, "'in_main' in globals()", sid) == "False"
    shared = create(k, namespace="shared")
    assert value_in(k, "in_main", shared) == "1"


# ------------------------------------------------------------ interrupt and delete


@pytest.mark.parametrize("code", [BLOCKING, AWAITING, SPINNING], ids=["time_sleep", "asyncio_sleep", "loop"])
def test_interrupt_reaches_a_subshell(fresh_kernel: RunningKernel, code: str) -> None:
    sid = create(fresh_kernel)
    cell = start_in(fresh_kernel, code, sid)
    fresh_kernel.request("interrupt_request", channel="control")
    assert_interrupted(fresh_kernel.finish(cell, timeout=15))
    assert value_in(fresh_kernel, "'subshell still serves'", sid) == "'subshell still serves'"


def test_interrupt_reaches_main_and_subshell_together(fresh_kernel: RunningKernel) -> None:
    sid = create(fresh_kernel)
    sub = start_in(fresh_kernel, BLOCKING, sid)
    main = start_in(fresh_kernel, BLOCKING, None)
    fresh_kernel.request("interrupt_request", channel="control")
    assert_interrupted(fresh_kernel.finish(sub, timeout=15))
    assert_interrupted(fresh_kernel.finish(main, timeout=15))
    assert fresh_kernel.value("'main serves'") == "'main serves'"


@pytest.mark.parametrize("code", [BLOCKING, AWAITING], ids=["time_sleep", "asyncio_sleep"])
def test_delete_cancels_the_running_cell_and_replies(fresh_kernel: RunningKernel, code: str) -> None:
    sid = create(fresh_kernel)
    cell = start_in(fresh_kernel, code, sid)
    queued = send_execute(fresh_kernel, "'never runs'", sid)
    assert delete(fresh_kernel, sid)["status"] == "ok"
    done = fresh_kernel.finish(cell, timeout=15)
    assert_interrupted(done)
    assert "deleted" in done.content["evalue"], done.describe()
    assert fresh_kernel.finish(queued, timeout=15).status == "aborted"
    assert sid not in listed(fresh_kernel)
    assert fresh_kernel.value("'main serves'") == "'main serves'"


def test_shutdown_ends_a_kernel_whose_subshell_blocks(fresh_kernel: RunningKernel) -> None:
    sid = create(fresh_kernel)
    cell = start_in(fresh_kernel, BLOCKING, sid)
    reply = fresh_kernel.request("shutdown_request", {"restart": False}, channel="control")
    assert reply["content"]["status"] == "ok"
    assert_interrupted(fresh_kernel.finish(cell, timeout=15))
    assert fresh_kernel.wait_for_exit(timeout=15), "the kernel did not exit"


def test_input_in_a_subshell_is_answered_and_can_be_interrupted(fresh_kernel: RunningKernel) -> None:
    sid = create(fresh_kernel)
    cell = send_execute(fresh_kernel, "got = input('name? ')", sid, allow_stdin=True)
    request = fresh_kernel.reply(cell, "stdin", timeout=20)
    assert request["header"].get("subshell_id") == sid
    fresh_kernel.kc.input("from the console")
    assert fresh_kernel.finish(cell).status == "ok"
    assert value_in(fresh_kernel, "got", sid) == "'from the console'"

    waiting = send_execute(fresh_kernel, "input('never answered? ')", sid, allow_stdin=True)
    fresh_kernel.reply(waiting, "stdin", timeout=20)
    fresh_kernel.request("interrupt_request", channel="control")
    assert_interrupted(fresh_kernel.finish(waiting, timeout=15))


def test_subshells_on_the_trio_backend(start_kernel: Callable[..., RunningKernel]) -> None:
    k = start_kernel(extra_arguments=["--backend", "trio"])
    sid = create(k, namespace="isolated")
    assert value_in(k, "import sniffio\nsniffio.current_async_library()", sid) == "'trio'"
    main = start_in(k, "import time\nprint('cell-started', flush=True)\ntime.sleep(3)", None)
    assert value_in(k, "'sub answers'", sid) == "'sub answers'"
    assert not k.has_reply(main)
    assert k.finish(main, timeout=30).status == "ok"
    waiting = start_in(k, "import trio\nprint('cell-started', flush=True)\nawait trio.sleep(60)", sid)
    k.request("interrupt_request", channel="control")
    assert_interrupted(k.finish(waiting, timeout=15))
    blocking = start_in(k, BLOCKING, sid)
    assert delete(k, sid)["status"] == "ok"
    assert_interrupted(k.finish(blocking, timeout=15))


def test_subshell_magic_in_a_subshell_names_it(fresh_kernel: RunningKernel) -> None:
    sid = create(fresh_kernel)
    lines = dict(line.split(": ", 1) for line in run_in(fresh_kernel, "%subshell", sid).stdout.splitlines())
    assert lines["subshell id"] == sid and lines["subshell list"] == repr([sid]), lines
    assert lines["thread id"] != lines["main thread id"]
    assert delete(fresh_kernel, sid)["status"] == "ok"
