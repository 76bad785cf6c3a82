"""The output path never dies: text JSON cannot carry goes out repaired, a message that cannot
be sent costs only itself (and the cell is told), and a failing traceback formatter falls back.

``S`` is what Python gives for a file name that is not UTF-8 (``os.listdir``): a string with a
lone surrogate, which JSON cannot encode.  Every kind of output and reply carrying it arrives
with U+FFFD in its place (as ipykernel's), and the next cell runs.  Run on asyncio and trio.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.protocol.conftest import BraidEnv, _close_and_show_log
from tests.protocol.kernel_client import RunningKernel, strip_ansi

pytestmark = pytest.mark.timeout(90)

REPLACED = "caf\ufffd"
DEFINE_S = "S = b'caf\\xe9'.decode('utf-8', 'surrogateescape')\nassert len(S) == 4 and S[3] == '\\udce9'"


@pytest.fixture(scope="module", params=["braid", "braid-trio"])
def k(request: pytest.FixtureRequest, braid_env: BraidEnv) -> Iterator[RunningKernel]:
    kernel = RunningKernel(braid_env.new_log(), kernel_name=request.param)
    try:
        kernel.wait_for_iopub()
        kernel.run(DEFINE_S)
        yield kernel
    finally:
        _close_and_show_log(kernel)


def assert_still_serves(kernel: RunningKernel) -> None:
    assert kernel.value("6 * 7") == "42"


# ------------------------------------------------------------------ every message goes out
@pytest.mark.parametrize("stream", ["stdout", "stderr"])
def test_a_lone_surrogate_printed_arrives_replaced(k: RunningKernel, stream: str) -> None:
    done = k.run(f"import sys\nprint(S, file=sys.{stream})\nprint('next line', file=sys.{stream})")
    assert getattr(done, stream) == f"{REPLACED}\nnext line\n"
    assert_still_serves(k)


def test_a_file_name_that_is_not_utf8_prints_as_ipykernel_prints_it(k: RunningKernel) -> None:
    done = k.run("print(b'caf\\xe9'.decode('utf-8', 'surrogateescape'))")
    assert done.stdout == f"{REPLACED}\n"
    assert_still_serves(k)


def test_display_data_and_its_metadata_arrive_replaced(k: RunningKernel) -> None:
    done = k.run(
        "from IPython.display import display, Markdown\n"
        "display({'text/plain': S, 'application/json': {S: [S]}}, metadata={'note': S}, raw=True)\n"
        "display(Markdown(S))"
    )
    first, second = done.of_type("display_data")
    assert first["content"]["data"] == {"text/plain": REPLACED, "application/json": {REPLACED: [REPLACED]}}
    assert first["content"]["metadata"] == {"note": REPLACED}
    assert second["content"]["data"]["text/markdown"] == REPLACED
    assert_still_serves(k)


def test_an_execute_result_arrives_replaced(k: RunningKernel) -> None:
    done = k.run("class Named:\n    def __repr__(self):\n        return S\nNamed()")
    assert done.result == REPLACED
    assert_still_serves(k)


def test_an_error_message_and_traceback_arrive_replaced(k: RunningKernel) -> None:
    done = k.execute("raise ValueError(S)")
    assert done.status == "error", done.describe()
    assert done.content["evalue"] == REPLACED
    [error] = done.of_type("error")
    assert error["content"]["evalue"] == REPLACED
    assert f"ValueError: {REPLACED}" in strip_ansi("\n".join(error["content"]["traceback"]))
    assert_still_serves(k)


def test_comm_data_arrives_replaced(k: RunningKernel) -> None:
    done = k.run(
        "import comm\nc = comm.create_comm(target_name='braid.surrogates', data={'s': S})\nc.send({S: S})"
    )
    opened, sent = done.of_type("comm_open"), done.of_type("comm_msg")
    assert opened[0]["content"]["data"] == {"s": REPLACED}
    assert sent[0]["content"]["data"] == {REPLACED: REPLACED}
    assert_still_serves(k)


def test_a_history_reply_with_outputs_arrives_replaced(k: RunningKernel) -> None:
    done = k.run("class Shown:\n    def __repr__(self):\n        return S\nShown()")
    count = done.content["execution_count"]
    content = {"hist_access_type": "range", "session": 0, "start": count, "stop": count + 1}
    reply = k.request("history_request", {"output": True, "raw": True, **content})["content"]
    assert reply["status"] == "ok"
    [(_, line, (_, output))] = reply["history"]
    assert (line, output) == (count, REPLACED)
    assert_still_serves(k)


def test_a_completion_reply_arrives_replaced(k: RunningKernel) -> None:
    folder = k.run(
        "import os, tempfile\nfolder = tempfile.mkdtemp()\n"
        "open(os.path.join(os.fsencode(folder), b'caf\\xe9.txt'), 'w').close()\n"
        "print(folder, end='')"
    ).stdout
    code = f"open('{folder}/ca"
    reply = k.request("complete_request", {"code": code, "cursor_pos": len(code)})["content"]
    k.run("import shutil\nshutil.rmtree(folder)")
    assert reply["status"] == "ok"
    assert any(f"{REPLACED}.txt" in match for match in reply["matches"]), reply["matches"]
    assert_still_serves(k)


def test_an_inspection_reply_arrives_replaced(k: RunningKernel) -> None:
    k.run("def documented():\n    pass\ndocumented.__doc__ = S")
    code = "documented"
    reply = k.request("inspect_request", {"code": code, "cursor_pos": len(code), "detail_level": 0})
    assert reply["content"]["found"] is True
    assert REPLACED in strip_ansi(reply["content"]["data"]["text/plain"])
    assert_still_serves(k)


def test_code_holding_a_lone_surrogate_runs(k: RunningKernel) -> None:
    # jupyter_client sends a lone surrogate as the raw (invalid UTF-8) byte it stands for
    done = k.run("print('caf\udce9')")
    assert done.stdout == f"{REPLACED}\n"
    assert_still_serves(k)


# ------------------------------------------------------------------ what cannot be sent
def test_an_unencodable_display_costs_only_itself_and_the_cell_is_told(k: RunningKernel) -> None:
    done = k.run("display({'application/json': {'a': object()}}, raw=True)\nprint('after')")
    assert done.of_type("display_data") == []
    assert "display_data message of this request could not be sent" in done.stderr
    assert "object" in done.stderr
    assert done.stdout == "after\n"
    assert_still_serves(k)


def test_a_comm_buffer_that_is_not_bytes_costs_only_its_message(k: RunningKernel) -> None:
    done = k.run(
        "import comm\nbuffered = comm.create_comm(target_name='braid.buffers')\n"
        "buffered.send({'n': 1}, buffers=['not bytes'])\n"
        "buffered.send({'n': 2}, buffers=[b'bytes'])"
    )
    sent = done.of_type("comm_msg")
    assert [m["content"]["data"] for m in sent] == [{"n": 2}]
    assert "buffer 0 (str) is not bytes-like" in done.stderr
    assert_still_serves(k)


# ------------------------------------------------------------------ failing formatters
def test_a_failing_traceback_formatter_falls_back_to_a_plain_traceback(k: RunningKernel) -> None:
    k.run("%xmode Docs")
    try:
        done = k.execute("try:\n    1/0\nexcept Exception as e:\n    raise ValueError('outer') from e")
    finally:
        k.run("%xmode Context")
    assert done.status == "error", done.describe()
    assert done.content["ename"] == "ValueError"
    [error] = done.of_type("error")
    text = strip_ansi("\n".join(error["content"]["traceback"]))
    assert "Falling back to standard exception" in text
    assert "ZeroDivisionError: division by zero" in text
    assert "The above exception was the direct cause of the following exception" in text
    assert "ValueError: outer" in text
    assert_still_serves(k)
