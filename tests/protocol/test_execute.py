"""execute_request: counts, execute_input, results, errors, silent, history, user_expressions,
stdin refusal and stop_on_error."""

from __future__ import annotations

import time

import pytest

from tests.protocol import transports
from tests.protocol.kernel_client import RunningKernel, strip_ansi

pytestmark = pytest.mark.timeout(60)

kernel = transports.kernel  # every test here runs on a kernel process and in-process


def test_execute_result_carries_execution_count(kernel: RunningKernel) -> None:
    done = kernel.run("6 * 7")
    count = done.content["execution_count"]
    assert isinstance(count, int) and count >= 1
    (result,) = done.of_type("execute_result")
    assert result["content"]["execution_count"] == count
    assert result["content"]["data"]["text/plain"] == "42"
    assert result["parent_header"]["msg_id"] == done.msg_id


def test_execution_count_increments_by_one_per_cell(kernel: RunningKernel) -> None:
    first = kernel.run("a_count_probe = 1").content["execution_count"]
    second = kernel.run("a_count_probe += 1").content["execution_count"]
    assert second == first + 1


def test_execute_input_echoes_code_and_count_before_output(kernel: RunningKernel) -> None:
    code = "print('echo-probe')\n'after'"
    done = kernel.run(code)
    types = [m["msg_type"] for m in done.iopub]
    assert types[0] == "status" and done.iopub[0]["content"]["execution_state"] == "busy"
    assert types[1] == "execute_input", types
    echo = done.iopub[1]["content"]
    assert echo == {"code": code, "execution_count": done.content["execution_count"]}
    assert types.index("stream") > 1 and types.index("execute_result") > 1


def test_error_reply_and_message_carry_ename_evalue_and_traceback(kernel: RunningKernel) -> None:
    done = kernel.execute("raise ValueError('the-evalue')")
    assert done.status == "error"
    assert (done.content["ename"], done.content["evalue"]) == ("ValueError", "the-evalue")
    assert isinstance(done.content["execution_count"], int)
    (error,) = done.of_type("error")
    assert error["content"]["ename"] == "ValueError"
    assert error["content"]["evalue"] == "the-evalue"
    assert all(isinstance(line, str) for line in error["content"]["traceback"])


def test_error_traceback_shows_only_user_frames(kernel: RunningKernel) -> None:
    kernel.run("def failing_helper():\n    raise KeyError('deep-key')\n")
    done = kernel.execute("x = 1\nfailing_helper()")
    assert done.status == "error"
    (error,) = done.of_type("error")
    text = strip_ansi("\n".join(error["content"]["traceback"]))
    assert "failing_helper()" in text, text
    assert "raise KeyError('deep-key')" in text, text
    assert "KeyError" in text
    assert "braid_kernel" not in text, f"kernel frames in the traceback:\n{text}"
    assert "anyio" not in text, f"kernel frames in the traceback:\n{text}"
    reply_text = strip_ansi("\n".join(done.content["traceback"]))
    assert "braid_kernel" not in reply_text


def test_syntax_error_is_reported_as_error(kernel: RunningKernel) -> None:
    done = kernel.execute("def broken(:\n    pass")
    assert done.status == "error"
    assert done.content["ename"] == "SyntaxError"
    assert "braid_kernel" not in strip_ansi("\n".join(done.content["traceback"]))


def test_silent_execution_publishes_nothing_and_keeps_count(kernel: RunningKernel) -> None:
    before = kernel.run("'count probe'").content["execution_count"]
    done = kernel.execute("print('must-not-appear'); silent_ran = True\n12345", silent=True)
    assert done.status == "ok"
    assert [m["msg_type"] for m in done.iopub] == ["status", "status"], done.describe()
    assert done.content["execution_count"] == before
    after = kernel.run("silent_ran")
    assert after.result == "True"
    assert after.content["execution_count"] == before + 1
    assert after.of_type("execute_input")[0]["content"]["execution_count"] == before + 1


def test_store_history_false_takes_no_count_and_no_history_entry(kernel: RunningKernel) -> None:
    before = kernel.run("'probe'").content["execution_count"]
    done = kernel.run("unstored_marker_93 = 1", store_history=False)
    assert done.content["execution_count"] == before
    after = kernel.run("'next'").content["execution_count"]
    assert after == before + 1
    history = kernel.request(
        "history_request", {"hist_access_type": "tail", "n": 50, "output": False, "raw": True}
    )["content"]["history"]
    assert not any("unstored_marker_93" in entry[2] for entry in history)


def test_user_expressions_return_values_and_errors(kernel: RunningKernel) -> None:
    done = kernel.run(
        "ue_base = 6",
        user_expressions={"good": "ue_base * 7", "bad": "undefined_name_for_ue"},
    )
    expressions = done.content["user_expressions"]
    assert expressions["good"]["status"] == "ok"
    assert expressions["good"]["data"]["text/plain"] == "42"
    assert expressions["bad"]["status"] == "error"
    assert expressions["bad"]["ename"] == "NameError"


def test_input_without_allow_stdin_raises_at_once(kernel: RunningKernel) -> None:
    start = time.monotonic()
    done = kernel.execute("input('never asked: ')", allow_stdin=False, timeout=10)
    assert time.monotonic() - start < 10
    assert done.status == "error", done.describe()
    assert "stdin" in (done.content["ename"] + done.content["evalue"]).lower(), done.describe()
    assert not kernel.replies["stdin"][done.msg_id]
    assert kernel.maybe_reply(done.msg_id, "stdin", timeout=0.2) is None, "an input_request was sent"


def test_code_that_catches_ipythons_stdin_error_falls_back(kernel: RunningKernel) -> None:
    """IPython and libraries catch StdinNotImplementedError (what ipykernel raises) to fall back."""
    code = (
        "from IPython.core.error import StdinNotImplementedError\n"
        "try:\n"
        "    answer = input('never asked: ')\n"
        "except StdinNotImplementedError:\n"
        "    answer = 'the default'\n"
        "answer"
    )
    done = kernel.execute(code, allow_stdin=False, timeout=10)
    assert done.status == "ok", done.describe()
    assert done.result == "'the default'"


def test_stop_on_error_aborts_cells_queued_behind_a_failure(kernel: RunningKernel) -> None:
    kernel.run("abort_record = []")
    failing = kernel.execute_request("import time\ntime.sleep(0.5)\nraise RuntimeError('first fails')")
    queued = [kernel.execute_request(f"abort_record.append({i})") for i in range(2)]
    assert kernel.reply(failing)["content"]["status"] == "error"
    for msg_id in queued:
        content = kernel.reply(msg_id)["content"]
        assert content["status"] == "aborted", content
        assert isinstance(content.get("execution_count"), int), (
            f"aborted reply lacks execution_count: {content}"
        )
        iopub = kernel.iopub_until_idle(msg_id)
        assert not [m for m in iopub if m["msg_type"] in ("execute_input", "stream", "error")], iopub
    assert kernel.value("abort_record") == "[]"


def test_cells_sent_after_a_failure_run(kernel: RunningKernel) -> None:
    kernel.run("after_failure = []")
    assert kernel.execute("raise RuntimeError('fails')").status == "error"
    kernel.run("after_failure.append(1)")
    assert kernel.value("after_failure") == "[1]"


def test_stop_on_error_false_lets_queued_cells_run(kernel: RunningKernel) -> None:
    kernel.run("keep_going = []")
    failing = kernel.execute_request("import time\ntime.sleep(0.3)\n1/0", stop_on_error=False)
    queued = kernel.execute_request("keep_going.append('ran')")
    assert kernel.reply(failing)["content"]["ename"] == "ZeroDivisionError"
    assert kernel.reply(queued)["content"]["status"] == "ok"
    assert kernel.value("keep_going") == "['ran']"
