"""Context persists from cell to cell: ContextVars and the decimal context, awaits included,
on both backends, chained and concurrent, per subshell and per multi-mode session; the kernel's
own variables (the current request) never pass from one cell to the next."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from jupyter_client.blocking.client import BlockingKernelClient

from tests.protocol.kernel_client import STARTUP_TIMEOUT, RoutingClient, RunningKernel
from tests.protocol.test_subshells import create, run_in, send_execute, value_in

pytestmark = pytest.mark.timeout(120)

Start = Callable[..., RunningKernel]

SETUP = """
import contextvars, decimal, threading
var = contextvars.ContextVar('var', default='unset')
"""
SLEEP = {"asyncio": "import asyncio\nawait asyncio.sleep(0)", "trio": "import trio\nawait trio.sleep(0)"}
KERNELS = [
    ("braid", "asyncio"),
    ("braid-trio", "trio"),
    ("braid-concurrent", "asyncio"),
    ("braid-concurrent-trio", "trio"),
    ("braid-react", "asyncio"),
    ("braid-cache", "asyncio"),
]


def _shown(kernel: RoutingClient, code: str) -> tuple[str, str]:
    """The cell's msg_id and the text/plain it shows (reactive mode shows its result as display
    data); both come from the IOPub messages parented to the cell's own request."""
    done = kernel.run(code)
    shown = done.of_type("execute_result") + done.of_type("display_data")
    assert len(shown) == 1, done.describe()
    return done.msg_id, str(shown[0]["content"]["data"]["text/plain"])


def _value(kernel: RoutingClient, code: str) -> str:
    return _shown(kernel, code)[1]


def _parent_check(kernel: RoutingClient) -> None:
    """``kernel.get_parent()`` (what output is parented to) is the cell's own request."""
    msg_id, parent = _shown(kernel, "get_ipython().kernel.get_parent()['header']['msg_id']")
    assert parent == repr(msg_id)


@pytest.mark.parametrize(("name", "backend"), KERNELS, ids=[k for k, _ in KERNELS])
def test_contextvars_and_decimal_context_persist_across_cells(
    start_kernel: Start, name: str, backend: str
) -> None:
    kernel = start_kernel(kernel_name=name)
    kernel.run(SETUP)
    kernel.run("var.set('cell 1')\ndecimal.getcontext().prec = 5")
    assert _value(kernel, "var.get(), decimal.getcontext().prec") == "('cell 1', 5)"
    # An awaiting cell sees the context and what it sets after its await is kept.
    assert _value(kernel, f"{SLEEP[backend]}\nvar.get()") == "'cell 1'"
    kernel.run(f"{SLEEP[backend]}\nvar.set('after an await')\ndecimal.getcontext().prec = 3")
    kernel.run("decimal.getcontext().traps[decimal.DivisionByZero] = False")
    assert _value(kernel, "var.get(), str(decimal.Decimal(1) / 7), str(decimal.Decimal(1) / 0)") == (
        "('after an await', '0.143', 'Infinity')"
    )
    # A thread the cell starts sees the cell's context.
    seen = (
        "seen = []\nt = threading.Thread(target=lambda: seen.append((var.get(), decimal.getcontext().prec)))"
    )
    assert _value(kernel, f"{seen}\nt.start(); t.join()\nseen") == "[('after an await', 3)]"
    # localcontext() restores what it changed: nothing to carry.
    kernel.run("with decimal.localcontext() as c:\n    c.prec = 9")
    assert _value(kernel, "decimal.getcontext().prec") == "3"
    _parent_check(kernel)
    _parent_check(kernel)


@pytest.mark.parametrize("name", ["braid-concurrent", "braid-concurrent-trio"])
def test_concurrent_cell_starts_from_the_cells_finished_before_it(start_kernel: Start, name: str) -> None:
    kernel = start_kernel(kernel_name=name)
    kernel.run(f"{SETUP}\nimport anyio\ngate = anyio.Event()")
    first = kernel.execute_request("var.set('first')\nprint('first-started', flush=True)\nawait gate.wait()")
    kernel.stream_until(first, "first-started")
    # The first cell has not finished: its change is not visible yet.
    assert _value(kernel, "before = var.get()\nvar.set('second')\nbefore") == "'unset'"
    assert _value(kernel, "var.get()") == "'second'"  # the second cell finished
    kernel.run("gate.set()")
    assert kernel.finish(first).status == "ok"
    assert _value(kernel, "var.get()") == "'first'"  # it finished last


def test_each_subshell_carries_its_own_context(fresh_kernel: RunningKernel) -> None:
    kernel = fresh_kernel
    kernel.run(SETUP)
    sid = create(kernel)
    run_in(kernel, "import asyncio\nawait asyncio.sleep(0)\nvar.set('subshell')", sid)
    kernel.run("var.set('main')")
    assert value_in(kernel, "var.get()", sid) == "'subshell'"
    assert _value(kernel, "var.get()") == "'main'"
    cell = send_execute(kernel, "get_ipython().kernel.get_parent()['header']['msg_id']", sid)
    assert kernel.finish(cell).result == repr(cell)


def test_each_multi_mode_session_carries_its_own_context(start_kernel: Start) -> None:
    kernel = start_kernel(kernel_name="braid-multi")
    kc = BlockingKernelClient()
    kc.load_connection_info(kernel.km.get_connection_info())  # the same kernel, a new session id
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=STARTUP_TIMEOUT)
        other = RoutingClient(kc)
        other.wait_for_iopub()
        for client, value in ((kernel, "one"), (other, "two")):
            client.run(SETUP)
            client.run(f"import asyncio\nawait asyncio.sleep(0)\nvar.set({value!r})")
        assert _value(kernel, "var.get()") == "'one'"
        assert _value(other, "var.get()") == "'two'"
        _parent_check(other)
    finally:
        kc.stop_channels()
