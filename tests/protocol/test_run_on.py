"""``run_on`` and the ``%trio`` / ``%asyncio`` magics: code for the other async library, from a cell."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.protocol.kernel_client import RunningKernel

pytestmark = pytest.mark.timeout(90)

TRIO_DOUBLE = "import trio\nasync def trio_double(x):\n    await trio.sleep(0.05)\n    return 2 * x\n"
ASYNCIO_INC = "import asyncio\nasync def asyncio_inc(x):\n    await asyncio.sleep(0.05)\n    return x + 1\n"


def test_asyncio_kernel_awaits_a_trio_function(kernel: RunningKernel) -> None:
    kernel.run(TRIO_DOUBLE)
    done = kernel.run(
        "import sniffio\n(await run_on('trio', trio_double, 21), sniffio.current_async_library())"
    )
    assert done.result == "(42, 'asyncio')"


def test_trio_kernel_awaits_an_asyncio_function(start_kernel: Callable[..., RunningKernel]) -> None:
    k = start_kernel(kernel_name="braid-trio")
    k.run(ASYNCIO_INC)
    done = k.run(
        "import sniffio\n(await run_on('asyncio', asyncio_inc, 41), sniffio.current_async_library())"
    )
    assert done.result == "(42, 'trio')"
    k.run("async def which():\n    return sniffio.current_async_library()")
    assert k.value("await run_on('trio', which)") == "'trio'", "the kernel's own backend runs in place"


def test_an_error_of_the_foreign_run_is_the_cells_error(kernel: RunningKernel) -> None:
    kernel.run(
        "import trio\nasync def trio_fails():\n    await trio.sleep(0)\n    raise LookupError('from trio')\n"
    )
    done = kernel.execute("await run_on('trio', trio_fails)")
    assert done.status == "error", done.describe()
    assert done.content["ename"] == "LookupError"
    assert done.content["evalue"] == "from trio"


def test_the_kernel_keeps_serving_while_a_foreign_run_sleeps(kernel: RunningKernel, tmp_path: Path) -> None:
    """The foreign run lasts until the test has its answers (no time window to beat)."""
    release = tmp_path / "release"
    cell = kernel.execute_request(
        "import os, trio\n"
        "async def wait_for_release(path):\n"
        "    while not os.path.exists(path):\n"
        "        await trio.sleep(0.01)\n"
        "print('foreign-started', flush=True)\n"
        f"await run_on('trio', wait_for_release, {str(release)!r})"
    )
    kernel.stream_until(cell, "foreign-started")
    assert kernel.kernel_info()["implementation"] == "braid-kernel"
    complete = kernel.request("complete_request", {"code": "run_o", "cursor_pos": 5})
    assert "run_on" in complete["content"]["matches"]
    assert not kernel.has_reply(cell), "the kernel waited for the foreign run before answering"
    release.touch()
    assert kernel.reply(cell)["content"]["status"] == "ok"


def test_print_of_a_foreign_run_lands_in_the_cell(kernel: RunningKernel) -> None:
    code = "import trio\nasync def trio_prints():\n    print('printed-on-trio')\n"
    code += "await run_on('trio', trio_prints)"
    assert "printed-on-trio" in kernel.run(code).stdout


def test_interrupt_cancels_the_foreign_run(fresh_kernel: RunningKernel) -> None:
    fresh_kernel.run(
        "import trio\nforeign_state = []\n"
        "async def trio_long():\n"
        "    try:\n"
        "        print('foreign-started', flush=True)\n"
        "        await trio.sleep(60)\n"
        "    finally:\n"
        "        foreign_state.append('unwound')\n"
    )
    cell = fresh_kernel.execute_request("await run_on('trio', trio_long)")
    fresh_kernel.stream_until(cell, "foreign-started")
    started = time.monotonic()
    fresh_kernel.request("interrupt_request", channel="control")
    done = fresh_kernel.finish(cell, timeout=20)
    assert done.status == "error" and done.content["ename"] == "KeyboardInterrupt", done.describe()
    assert time.monotonic() - started < 20
    assert fresh_kernel.value("foreign_state") == "['unwound']", "the foreign run was not cancelled"


def test_trio_line_and_cell_magics(kernel: RunningKernel) -> None:
    kernel.run(TRIO_DOUBLE)
    assert kernel.value("%trio trio_double(4)") == "8"
    kernel.run("doubled = %trio await trio_double(5)")
    assert kernel.value("doubled") == "10"
    done = kernel.run(
        "%%trio\nimport sniffio\nmagic_lib = sniffio.current_async_library()\nawait trio.sleep(0)\nmagic_lib"
    )
    assert done.result == "'trio'"
    assert kernel.value("magic_lib") == "'trio'", "names the cell magic defines stay in the namespace"


def test_asyncio_magic_on_a_trio_kernel_and_its_errors(start_kernel: Callable[..., RunningKernel]) -> None:
    k = start_kernel(kernel_name="braid-trio")
    k.run(ASYNCIO_INC)
    assert k.value("%asyncio asyncio_inc(1)") == "2"
    done = k.run("%%asyncio\nimport sniffio\nawait asyncio.sleep(0)\nsniffio.current_async_library()")
    assert done.result == "'asyncio'"
    failed = k.execute("%%asyncio\nawait asyncio.sleep(0)\n{}['missing']")
    assert failed.status == "error" and failed.content["ename"] == "KeyError", failed.describe()


def test_unknown_backend_is_a_clear_error(kernel: RunningKernel) -> None:
    done = kernel.execute("await run_on('curio', print)")
    assert done.status == "error"
    assert done.content["ename"] == "ValueError"
    assert "use one of 'asyncio', 'trio'" in done.content["evalue"]


def test_trio_kernel_keeps_one_asyncio_loop_across_cells(start_kernel: Callable[..., RunningKernel]) -> None:
    """A task one cell's %asyncio starts on the loop still runs for the next cell's (it used to be
    a fresh asyncio.run per call, which cancelled the task when the call returned)."""
    k = start_kernel(kernel_name="braid-trio")
    k.run(
        "%%asyncio\nimport asyncio\nqueue, ready = asyncio.Queue(), asyncio.Event()\n"
        "async def feeder():\n    await ready.wait()\n    await queue.put(41)\n"
        "feeder_task = asyncio.ensure_future(feeder())\nfirst_loop = id(asyncio.get_running_loop())"
    )
    assert k.value("%asyncio ready.set() or (await asyncio.wait_for(queue.get(), 20)) + 1") == "42"
    k.run("async def loop_id():\n    return id(asyncio.get_running_loop())")
    assert k.value("await run_on('asyncio', loop_id) == first_loop") == "True"


def test_asyncio_kernel_keeps_one_trio_loop_across_cells(kernel: RunningKernel) -> None:
    kernel.run(
        "%%trio\nimport trio\nsend, receive = trio.open_memory_channel(1)\nawait send.send(41)\n"
        "trio_token = trio.lowlevel.current_trio_token()"
    )
    assert kernel.value("%trio (await receive.receive()) + 1") == "42"
    assert kernel.value("%trio trio.lowlevel.current_trio_token() is trio_token") == "True"


def test_interrupt_crosses_to_the_persistent_asyncio_loop(start_kernel: Callable[..., RunningKernel]) -> None:
    """Interrupting a trio cell awaiting %asyncio cancels the asyncio task; the loop goes on."""
    k = start_kernel(kernel_name="braid-trio")
    k.run("%%asyncio\nimport asyncio\nforeign_state = []\nstay = asyncio.Queue()")
    cell = k.execute_request(
        "%%asyncio\ntry:\n    print('foreign-started', flush=True)\n    await asyncio.sleep(60)\n"
        "finally:\n    foreign_state.append('unwound')"
    )
    k.stream_until(cell, "foreign-started")
    k.request("interrupt_request", channel="control")
    done = k.finish(cell, timeout=20)
    assert done.status == "error" and done.content["ename"] == "KeyboardInterrupt", done.describe()
    assert k.value("foreign_state") == "['unwound']"
    assert k.value("%asyncio await stay.put(1) or stay.qsize()") == "1", "the loop died with the cell"


def test_shutdown_closes_the_persistent_loop(
    start_kernel: Callable[..., RunningKernel], tmp_path: Path
) -> None:
    """A task left on the trio kernel's asyncio loop is cancelled (its finally runs) when the
    kernel shuts down: the loop is closed, not abandoned with the process."""
    k = start_kernel(kernel_name="braid-trio")
    marker = tmp_path / "closed"
    k.run(
        "%%asyncio\nimport asyncio, pathlib\n"
        "async def linger():\n    try:\n        await asyncio.sleep(3600)\n"
        f"    finally:\n        pathlib.Path({str(marker)!r}).write_text('cancelled')\n"
        "lingering = asyncio.ensure_future(linger())\nawait asyncio.sleep(0)"
    )
    assert k.value("%asyncio lingering.done()") == "False", "the task did not outlive its cell"
    assert not marker.exists()
    reply = k.request("shutdown_request", {"restart": False}, channel="control")
    assert reply["content"]["status"] == "ok"
    assert k.wait_for_exit(timeout=15), "the kernel did not exit"
    assert marker.read_text() == "cancelled"
    assert "did not stop" not in k.log_text() and "still busy" not in k.log_text()
