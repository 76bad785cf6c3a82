"""Errors as clients match them: the names and text ipykernel gives.

nbclient's ``allow_error_names`` matches ``StdinNotImplementedError`` for ``input()`` without stdin;
papermill and users read IPython's short report of ``SystemExit``.
"""

from __future__ import annotations

import pytest

from tests.protocol import transports
from tests.protocol.kernel_client import RunningKernel, strip_ansi

pytestmark = pytest.mark.timeout(60)

kernel = transports.kernel  # a kernel process, and in-process


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
