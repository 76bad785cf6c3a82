"""What IPython's ``run_cell`` gives a cell, kept although braid runs cells itself.

The state IPython leaves after a cell (``last_execution_result``, the events' ExecutionResult),
custom exception handlers, ``%pdb``, IPython's debugger for ``pdb.set_trace()``, tracebacks of
exception groups and of ``StopIteration``, and ``__future__`` imports that last beyond their cell.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.protocol import transports
from tests.protocol.kernel_client import Executed, Msg, RunningKernel, strip_ansi

pytestmark = pytest.mark.timeout(60)

kernel = transports.kernel  # a kernel process, and in-process


def _answer(kernel: RunningKernel, cell: str, value: str) -> Msg:
    """Answer the next input_request of ``cell`` with ``value``; the request."""
    request = kernel.reply(cell, "stdin", timeout=15)
    assert request["msg_type"] == "input_request"
    reply = kernel.kc.session.msg("input_reply", {"value": value, "status": "ok"}, parent=request)
    kernel.kc.stdin_channel.send(reply)
    return request


# ------------------------------------------------------------ state after a cell (item 5)
def test_xdel_works_after_a_cell(kernel: RunningKernel) -> None:
    kernel.run("xdel_target = [1, 2]")
    done = kernel.run("%xdel xdel_target\n'xdel_target' in globals()")
    assert done.result == "False", done.describe()


def test_last_execution_result_is_the_cells_execution_result(kernel: RunningKernel) -> None:
    kernel.run("6 * 7")
    assert kernel.value("r = get_ipython().last_execution_result\ntype(r).__name__, r.result") == (
        "('ExecutionResult', 42)"
    )
    kernel.execute("undefined_name_for_last_result")
    assert (
        kernel.value(
            "r = get_ipython().last_execution_result\n"
            "r.success, type(r.error_in_exec).__name__, get_ipython().last_execution_succeeded"
        )
        == "(False, 'NameError', False)"
    )


def test_failing_cells_exceptions_are_kept_by_execution_count(kernel: RunningKernel, tmp_path: Path) -> None:
    """As run_cell does, each failing cell's exception goes to ``history_manager.exceptions``
    under its execution count (IPython 9's ``%notebook`` exports it as the cell's error)."""
    failed = kernel.execute("raise ValueError('kept for later')")
    syntax = kernel.execute("1 +")  # an error before execution
    kernel.run("fine = 1")
    kernel.execute("print('not stored')\nraise KeyError('silent')", silent=True)
    stored = json.loads(
        ast.literal_eval(kernel.value("import json\njson.dumps(get_ipython().history_manager.exceptions)"))
    )
    counts = [failed.content["execution_count"], syntax.content["execution_count"]]
    assert sorted(stored) == [str(n) for n in counts], stored
    first, second = stored[str(counts[0])], stored[str(counts[1])]
    assert (first["ename"], first["evalue"]) == ("ValueError", "kept for later")
    assert first["traceback"] == failed.content["traceback"]  # what the cell showed
    assert second["ename"] == "SyntaxError"
    notebook = tmp_path / "exported.ipynb"
    kernel.run(f"%notebook {notebook}")
    cells = json.loads(notebook.read_text())["cells"]
    errors = [out for cell in cells for out in cell["outputs"] if out["output_type"] == "error"]
    assert [e["ename"] for e in errors] == ["ValueError", "SyntaxError"], errors


def test_an_interrupted_awaiting_cells_kept_exception_is_the_error_it_reported(
    start_kernel: Callable[..., RunningKernel],
) -> None:
    """An awaiting cell an interrupt cancels shows no traceback of its own: what
    ``history_manager.exceptions`` keeps for it (and ``%notebook`` exports) is the error its reply
    reported, not IPython's rendering of a bare ``KeyboardInterrupt``."""
    k = start_kernel()
    cell = k.execute_request("import asyncio\nprint('cell-started', flush=True)\nawait asyncio.sleep(60)")
    k.stream_until(cell, "cell-started")
    k.request("interrupt_request", channel="control")
    done = k.finish(cell, timeout=15)
    assert done.content["ename"] == "KeyboardInterrupt", done.describe()
    stored = json.loads(
        ast.literal_eval(k.value("import json\njson.dumps(get_ipython().history_manager.exceptions)"))
    )
    reported = {key: done.content[key] for key in ("ename", "evalue", "traceback")}
    assert stored == {str(done.content["execution_count"]): reported}, stored


def test_pre_run_cell_gets_the_cells_info(kernel: RunningKernel) -> None:
    kernel.run(
        "seen_infos = []\n"
        "def note(info):\n"
        "    seen_infos.append((info.raw_cell, info.transformed_cell, info.cell_id, info.cell_meta))\n"
        "get_ipython().events.register('pre_run_cell', note)"
    )
    try:
        # the request carries JupyterLab's cell metadata
        msg = kernel.kc.session.msg(
            "execute_request",
            {
                "code": "%time 1",
                "silent": False,
                "store_history": True,
                "user_expressions": {},
                "allow_stdin": False,
                "stop_on_error": True,
            },
            metadata={"cellId": "cell-abc"},
        )
        kernel.kc.shell_channel.send(msg)
        assert kernel.finish(msg["header"]["msg_id"]).status == "ok"
    finally:
        kernel.run("get_ipython().events.unregister('pre_run_cell', note)")
    seen = ast.literal_eval(kernel.value("[i for i in seen_infos if i[0] == '%time 1'][0]"))
    assert seen == (
        "%time 1",
        "get_ipython().run_line_magic('time', '1')\n",
        "cell-abc",
        {"cellId": "cell-abc"},
    )


def test_post_run_cell_gets_the_result_and_runs_after_the_error_is_shown(kernel: RunningKernel) -> None:
    kernel.run(
        "seen_results = []\n"
        "def keep(result):\n"
        "    seen_results.append((result.info.raw_cell, result.success, result.execution_count))\n"
        "    print('post_run_cell', result.success)\n"
        "get_ipython().events.register('post_run_cell', keep)"
    )
    try:
        done = kernel.execute("1 / 0")
        types = [m["msg_type"] for m in done.iopub if m["msg_type"] in ("error", "stream")]
        assert types == ["error", "stream"], done.describe()  # IPython's order
        count = done.content["execution_count"]
    finally:
        kernel.run("get_ipython().events.unregister('post_run_cell', keep)")
    assert kernel.value("seen_results[-1]") == f"('1 / 0', False, {count})"


def test_logstart_logs_the_cells(kernel: RunningKernel, tmp_path: Path) -> None:
    log_file = tmp_path / "session-log.py"
    kernel.run(f"%logstart -o {log_file}")
    try:
        kernel.run("logged_value = 6 * 7\nlogged_value")
    finally:
        kernel.run("%logstop")
    text = log_file.read_text()
    assert "logged_value = 6 * 7" in text and "#[Out]# 42" in text, text


def test_a_syntax_error_is_an_error_before_execution(kernel: RunningKernel) -> None:
    done = kernel.execute("def broken(:\n    pass")
    assert done.content["ename"] == "SyntaxError"
    assert (
        kernel.value(
            "r = get_ipython().last_execution_result\ntype(r.error_before_exec).__name__, r.error_in_exec"
        )
        == "('SyntaxError', None)"
    )


def test_custom_exception_handler_replaces_the_traceback(kernel: RunningKernel) -> None:
    kernel.run(
        "def custom_handler(shell, etype, evalue, tb, tb_offset=None):\n"
        "    print('custom handler saw', etype.__name__, evalue)\n"
        "get_ipython().set_custom_exc((ZeroDivisionError,), custom_handler)"
    )
    try:
        done = kernel.execute("1 / 0")
        other = kernel.execute("undefined_in_custom_test")
    finally:
        kernel.run("get_ipython().set_custom_exc((), None)")
    assert done.status == "error" and done.content["ename"] == "ZeroDivisionError"
    assert "custom handler saw ZeroDivisionError division by zero" in done.stdout, done.describe()
    assert not done.of_type("error"), done.describe()
    assert other.of_type("error") and "custom handler" not in other.stdout  # not listed: as before


def test_rich_traceback_install_shows_richs_traceback(kernel: RunningKernel) -> None:
    pytest.importorskip("rich")
    kernel.run("import IPython\nsaved_show = IPython.get_ipython().showtraceback")
    try:
        done = kernel.execute("from rich.traceback import install\ninstall()\n1 / 0")
    finally:
        kernel.run(
            "ip = IPython.get_ipython()\n"
            "for name in ('showtraceback', '_showtraceback', 'showsyntaxerror'):\n"
            "    ip.__dict__.pop(name, None)"
        )
    assert done.content["ename"] == "ZeroDivisionError"
    text = done.stdout + "".join(str(m["content"].get("data", {})) for m in done.of_type("display_data"))
    assert "Traceback" in text and "(most recent call last)" in text, done.describe()
    assert not done.of_type("error"), done.describe()


def test_pdb_on_starts_ipythons_post_mortem_debugger(kernel: RunningKernel) -> None:
    kernel.run("def boom():\n    local_x = 41\n    return local_x / 0")
    kernel.run("%pdb on")
    try:
        cell = kernel.execute_request("boom()", allow_stdin=True)
        request = _answer(kernel, cell, "p local_x + 1")
        assert request["content"]["prompt"] == "ipdb> "
        _answer(kernel, cell, "q")
        done = kernel.finish(cell)
    finally:
        kernel.run("%pdb off")
    assert done.content["ename"] == "ZeroDivisionError"
    out = strip_ansi(done.stdout)
    assert "42" in out and "return local_x / 0" in out, done.describe()


def test_an_interrupt_ends_the_post_mortem_debugger(start_kernel: Callable[..., RunningKernel]) -> None:
    k = start_kernel()
    k.run("def boom():\n    return 1 / 0\n%pdb on")
    cell = k.execute_request("boom()", allow_stdin=True)
    request = k.reply(cell, "stdin", timeout=15)
    assert request["content"]["prompt"] == "ipdb> "
    k.request("interrupt_request", channel="control")
    done = k.finish(cell)  # without an answer to the debugger's prompt
    assert done.content["ename"] == "ZeroDivisionError"
    assert k.execute("'next cell runs'").status == "ok"  # the interrupt is not left pending


def _set_trace_session(kernel: RunningKernel, before: str = "") -> Executed:
    """A cell stopping in ``pdb.set_trace()``: ``p z_value``, then ``c``, at IPython's prompt."""
    cell = kernel.execute_request(f"{before}z_value = 7\npdb.set_trace()\nz_value * 2", allow_stdin=True)
    request = _answer(kernel, cell, "p z_value")
    assert request["content"]["prompt"] == "ipdb> "
    _answer(kernel, cell, "c")
    done = kernel.finish(cell)
    assert done.result == "14", done.describe()
    return done


def test_pdb_set_trace_is_ipythons_debugger(kernel: RunningKernel) -> None:
    done = _set_trace_session(kernel, before="import pdb\n")
    assert "7" in done.stdout


def test_quitting_the_debugger_shows_no_traceback(kernel: RunningKernel) -> None:
    cell = kernel.execute_request("breakpoint()\n'not reached'", allow_stdin=True)
    _answer(kernel, cell, "q")
    done = kernel.finish(cell)
    assert done.content["ename"] == "BdbQuit"
    assert not done.of_type("error") and not done.of_type("execute_result"), done.describe()


DEBUGGER_MODULES = (
    "sorted(m for m in ('pdb', 'bdb', 'cmd', 'code', 'IPython.core.debugger') if m in sys.modules)"
)
IS_KERNEL_PDB = (
    "import pdb\nfrom braid_kernel.shell.debugging import kernel_pdb\n"
    "(pdb.Pdb is kernel_pdb(), pdb.Pdb.__mro__[1].__name__)"
)


@pytest.mark.parametrize("kernel_name", ["braid", "braid-trio"])
def test_a_kernel_imports_no_debugger_until_a_cell_does(
    start_kernel: Callable[..., RunningKernel], kernel_name: str
) -> None:
    """pdb and IPython's debugger load when first used (as in a plain IPython shell), and are then
    the kernel's: ``pdb.Pdb`` its class, ``pdb.set_trace()`` IPython's debugger."""
    k = start_kernel(kernel_name=kernel_name)
    k.run("pass")
    assert k.value(f"import sys\n{DEBUGGER_MODULES}") == "[]"
    assert k.value(IS_KERNEL_PDB) == "(True, 'InterruptiblePdb')"
    _set_trace_session(k)


def test_breakpoint_imports_pdb_as_the_kernels(start_kernel: Callable[..., RunningKernel]) -> None:
    k = start_kernel()
    k.run("pass")
    assert k.value(f"import sys\n{DEBUGGER_MODULES}") == "[]"
    cell = k.execute_request("y_value = 5\nbreakpoint()\ny_value + 1", allow_stdin=True)
    request = _answer(k, cell, "p y_value * 3")
    assert request["content"]["prompt"] == "ipdb> "
    _answer(k, cell, "c")
    done = k.finish(cell)
    assert done.result == "6" and "15" in done.stdout, done.describe()
    assert k.value(IS_KERNEL_PDB) == "(True, 'InterruptiblePdb')"


def test_debug_magic_first_leaves_pdb_the_kernels(start_kernel: Callable[..., RunningKernel]) -> None:
    """``%debug`` imports IPython's debugger, which imports pdb itself: pdb is the kernel's after."""
    k = start_kernel()
    k.run("def boom():\n    local_x = 41\n    return local_x / 0")
    assert k.execute("boom()").content["ename"] == "ZeroDivisionError"
    assert k.value(f"import sys\n{DEBUGGER_MODULES}") == "[]"
    cell = k.execute_request("%debug", allow_stdin=True)
    request = _answer(k, cell, "p local_x + 1")
    assert request["content"]["prompt"] == "ipdb> "
    _answer(k, cell, "q")
    done = k.finish(cell)
    assert "42" in strip_ansi(done.stdout), done.describe()
    assert k.value(IS_KERNEL_PDB) == "(True, 'InterruptiblePdb')"
    k.run("%pdb on")
    cell = k.execute_request("boom()", allow_stdin=True)
    assert _answer(k, cell, "q")["content"]["prompt"] == "ipdb> "
    assert k.finish(cell).content["ename"] == "ZeroDivisionError"


# ------------------------------------------------------------ tracebacks (item 6)
def test_exception_group_shows_its_sub_exceptions(kernel: RunningKernel) -> None:
    done = kernel.execute("raise ExceptionGroup('group', [ValueError('first-sub'), TypeError('second-sub')])")
    assert done.content["ename"] == "ExceptionGroup"
    [error] = done.of_type("error")
    text = strip_ansi("\n".join(error["content"]["traceback"]))
    assert "ValueError: first-sub" in text and "TypeError: second-sub" in text, text
    assert "braid_kernel" not in text, text
    assert text == strip_ansi("\n".join(done.content["traceback"]))


def test_stop_iteration_at_top_level_is_reported_as_itself(kernel: RunningKernel) -> None:
    done = kernel.execute("raise StopIteration('stopped here')")
    assert (done.content["ename"], done.content["evalue"]) == ("StopIteration", "stopped here")
    text = strip_ansi("\n".join(done.content["traceback"]))
    assert "braid_kernel" not in text and "RuntimeError" not in text, text


# ------------------------------------------------------------ compiler flags (item 7)
def test_future_import_lasts_for_later_cells(kernel: RunningKernel) -> None:
    kernel.run("from __future__ import annotations")
    done = kernel.run("def later(x: UndefinedLaterName) -> None:\n    pass\nlater.__annotations__")
    assert done.result == "{'x': 'UndefinedLaterName', 'return': 'None'}"


# ------------------------------------------------------------ the same on trio
def test_run_cell_semantics_hold_on_the_trio_backend(start_kernel: Callable[..., RunningKernel]) -> None:
    k = start_kernel(kernel_name="braid-trio")
    k.run("trio_target = 1")
    assert k.run("%xdel trio_target\n'trio_target' in globals()").result == "False"
    assert k.execute("raise StopIteration").content["ename"] == "StopIteration"
    k.run("get_ipython().set_custom_exc((KeyError,), lambda shell, *exc, **kw: print('handled on trio'))")
    assert "handled on trio" in k.execute("{}['missing']").stdout
    k.run("from __future__ import annotations")
    assert k.value("def g(x: Nowhere): pass\ng.__annotations__") == "{'x': 'Nowhere'}"
    loop_cell = "done = []\nget_ipython().kernel.io_loop.add_callback(done.append, 1)"
    k.run(loop_cell)
    assert k.value("import trio\nwhile not done:\n    await trio.sleep(0.01)\ndone") == "[1]"
