"""Errors as clients match them: the names and text ipykernel gives.

nbclient's ``allow_error_names`` matches ``StdinNotImplementedError`` for ``input()`` without stdin;
papermill and users read IPython's short report of ``SystemExit``.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from tests.protocol import transports
from tests.protocol.kernel_client import RunningKernel, strip_ansi

pytestmark = pytest.mark.timeout(60)

kernel = transports.kernel  # a kernel process, and in-process
start_kernel = transports.start_kernel


def test_input_without_stdin_reports_stdin_not_implemented_error(kernel: RunningKernel) -> None:
    done = kernel.execute("input('name? ')", allow_stdin=False)
    assert done.content["ename"] == "StdinNotImplementedError", done.describe()
    [error] = done.of_type("error")
    assert error["content"]["ename"] == "StdinNotImplementedError"
    # ipykernel's text, which nbclient's own tests compare
    evalue = "raw_input was called, but this frontend does not support input requests."
    assert done.content["evalue"] == evalue


def test_input_refusal_is_caught_as_ipythons_error(kernel: RunningKernel) -> None:
    code = (
        "from IPython.core.error import StdinNotImplementedError\n"
        "try:\n    input()\nexcept StdinNotImplementedError:\n    caught = 'fallback'\ncaught"
    )
    assert kernel.value(code) == "'fallback'"


def test_sys_exit_shows_ipythons_short_report(kernel: RunningKernel) -> None:
    done = kernel.execute("import sys\nsys.exit(1)")
    assert (done.content["ename"], done.content["evalue"]) == ("SystemExit", "1"), done.describe()
    [error] = done.of_type("error")
    lines = [strip_ansi(line) for line in error["content"]["traceback"]]
    assert lines == ["An exception has occurred, use %tb to see the full traceback.\n", "SystemExit: 1\n"]
    assert kernel.run("print('still running')").stdout == "still running\n"


@transports.zmq_only("start_kernel")
def test_ipykernel_cell_name_gives_ipykernels_traceback_context(
    start_kernel: Callable[..., RunningKernel],
) -> None:
    # nbclient's tests set it and compare the saved tracebacks
    k = start_kernel(env={**os.environ, "IPYKERNEL_CELL_NAME": "<IPY-INPUT>"})
    done = k.execute("import sys\nprint('hi')\nprint('err', file=sys.stderr)\n# note\nraise Exception('m')")
    [error] = done.of_type("error")
    frame = strip_ansi(error["content"]["traceback"][2])
    assert frame.startswith("Cell In[1], line 5\n      3 print('err'"), frame
    assert "import sys" not in frame
    assert k.value("get_ipython().compile.get_code_name('x = 1', 'x = 1', 3)") == "'<IPY-INPUT>'"
    interrupted = k.execute_request("import time\ntime.sleep(30)")
    k.iopub_wait(interrupted, lambda m: m["msg_type"] == "execute_input", what="execute_input")
    k.request("interrupt_request", channel="control")
    assert k.finish(interrupted).content["ename"] == "KeyboardInterrupt"
