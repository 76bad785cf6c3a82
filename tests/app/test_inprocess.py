"""InProcessKernel: on the host's own event loop (asyncio and trio), the callback form, the
process-wide hooks it borrows and gives back, stdin, interrupts, shutdown and its limits.

The protocol behaviour itself (execute, output, display, comms, modes...) is tested on both
transports by the parametrised modules of ``tests/protocol``.
"""

from __future__ import annotations

import asyncio
import builtins
import os
import sys
import threading
from typing import Any

import anyio
import pytest
import sniffio

import braid_kernel
from braid_kernel import ConfigError, InProcessKernel, Mode
from braid_kernel.errors import MalformedMessage
from tests.process_state import process_wide, restored

pytestmark = pytest.mark.timeout(60)

Msg = dict[str, Any]


def _ws_message(msg_type: str, content: Msg, channel: str = "shell", msg_id: str = "") -> Msg:
    """A message as jupyter_server's websocket JSON protocol carries it."""
    header = {
        "msg_id": msg_id or f"{msg_type}-{id(content)}",
        "msg_type": msg_type,
        "session": "ws-session",
        "username": "ws",
        "date": "2026-12-02T00:00:00Z",
        "version": "5.5",
    }
    return {"channel": channel, "header": header, "parent_header": {}, "metadata": {}, "content": content}


def _execute(code: str, msg_id: str, **content: Any) -> Msg:
    body = {
        "code": code,
        "silent": False,
        "store_history": True,
        "user_expressions": {},
        "allow_stdin": False,
    }
    return _ws_message("execute_request", {**body, **content}, msg_id=msg_id)


def _for(messages: list[Msg], msg_id: str) -> list[tuple[str, str]]:
    return [(m["channel"], m["msg_type"]) for m in messages if m["parent_header"].get("msg_id") == msg_id]


def test_runs_on_an_already_running_asyncio_loop_without_threads() -> None:
    async def main() -> None:
        ticks = 0

        async def host_work() -> None:  # the host's own task keeps running while cells await
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        background = asyncio.create_task(host_work())
        threads_before = threading.active_count()
        async with braid_kernel.InProcessKernel(backend="asyncio") as kernel:
            client = kernel.client()
            reply = await client.execute(
                "import asyncio, threading\nawait asyncio.sleep(0.3)\ncell_thread = threading.get_ident()"
            )
            assert reply["status"] == "ok", reply
            started = ticks
            reply = await client.execute("await asyncio.sleep(0.3)")
            assert ticks - started >= 5, "the host's task did not run while the cell awaited"
            user_expr = await client.execute("", user_expressions={"t": "cell_thread"})
            assert user_expr["user_expressions"]["t"]["data"]["text/plain"] == str(threading.get_ident())
            assert threading.active_count() == threads_before, "the in-process kernel started threads"
        background.cancel()

    asyncio.run(main())


def test_runs_inside_trio_and_cells_await_trio() -> None:
    trio = pytest.importorskip("trio")

    async def main() -> None:
        async with InProcessKernel(backend="trio") as kernel:
            client = kernel.client()
            reply = await client.execute(
                "import trio\nawait trio.sleep(0.05)\nprint('on trio', trio.current_time() > 0)"
            )
            assert reply["status"] == "ok", reply
            texts = [m["content"]["text"] for m in client.iopub_nowait() if m["msg_type"] == "stream"]
            assert "".join(texts) == "on trio True\n"

    trio.run(main)


@pytest.mark.anyio
async def test_callback_form_answers_requests_sent_at_once_with_status_and_replies() -> None:
    sent: list[Msg] = []

    async def send(msg: Msg) -> None:  # an async callback, as a websocket's send is
        await anyio.sleep(0)
        sent.append(msg)

    async with InProcessKernel() as kernel:
        connection = kernel.connect(send)
        connection.handle_message(_execute("print('from ws')\n6 * 7", "e1"))  # right after start
        connection.handle_message(_ws_message("kernel_info_request", {}, "control", "k1"))
        connection.handle_message(_execute("1/0", "e2"))
        with anyio.fail_after(20):
            while _for(sent, "e2").count(("iopub", "status")) < 2:  # busy ... idle
                await anyio.sleep(0.01)
    assert _for(sent, "e1") == [
        ("iopub", "status"),
        ("iopub", "execute_input"),
        ("iopub", "stream"),
        ("iopub", "execute_result"),
        ("shell", "execute_reply"),
        ("iopub", "status"),
    ]
    assert _for(sent, "k1") == [("iopub", "status"), ("control", "kernel_info_reply"), ("iopub", "status")]
    reply = next(m for m in sent if m["msg_type"] == "execute_reply" and m["parent_header"]["msg_id"] == "e2")
    assert reply["content"]["ename"] == "ZeroDivisionError"
    assert all(isinstance(m["header"]["date"], str) for m in sent), "messages must be JSON-clean"


@pytest.mark.anyio
async def test_callback_form_rejects_what_is_not_a_message() -> None:
    async with InProcessKernel() as kernel:
        connection = kernel.connect(lambda msg: None)
        with pytest.raises(MalformedMessage, match="msg_type"):
            connection.handle_message({"channel": "shell", "header": {"msg_id": "x"}})
        with pytest.raises(MalformedMessage, match="channel"):
            connection.handle_message({**_execute("1", "x"), "channel": "nowhere"})
        with pytest.raises(MalformedMessage, match="iopub"):
            connection.handle_message({**_execute("1", "x"), "channel": "iopub"})


def test_entering_and_exiting_restores_the_process_hooks(capsys: pytest.CaptureFixture[str]) -> None:
    before = process_wide()

    async def main() -> None:
        async with InProcessKernel() as kernel:
            during = process_wide()
            for name in ("sys.stdout", "input", "Thread.start", "comm.create_comm"):
                assert during[name] is not before[name], name
            if "ipykernel.zmqshell" not in sys.modules:
                assert during["sys.meta_path"] != before["sys.meta_path"]  # the tqdm.auto import hook
            print("host output while the kernel runs")  # no current request: the host's stdout
            reply = await kernel.client().execute("print('cell output')")
            assert reply["status"] == "ok"

    asyncio.run(main())
    assert restored(before, process_wide()) == []
    assert "host output while the kernel runs" in capsys.readouterr().out


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX fork")
def test_a_forked_childs_output_goes_to_the_hosts_stdout(capfd: pytest.CaptureFixture[str]) -> None:
    code = (
        "import os\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    print('from the forked child')\n"
        "    os._exit(0)\n"
        "os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])"
    )

    async def main() -> None:
        async with InProcessKernel() as kernel:
            reply = await kernel.client().execute(code)
            assert reply["status"] == "ok", reply

    asyncio.run(main())
    assert "from the forked child" in capfd.readouterr().out  # the host's stdout, not lost


@pytest.mark.anyio
async def test_one_kernel_at_a_time_and_each_starts_fresh() -> None:
    async with InProcessKernel() as first:
        await first.client().execute("only_in_first = 1")
        with pytest.raises(ConfigError, match="one InProcessKernel at a time"):
            async with InProcessKernel():
                pass  # pragma: no cover
        # The refused kernel leaves the running one's shell alone (it used to release it).
        reply = await first.client().execute("only_in_first + 1")
        assert reply["status"] == "ok", reply
    async with InProcessKernel() as second:
        reply = await second.client().execute("only_in_first")
        assert reply["ename"] == "NameError"
        assert reply["execution_count"] == 1


@pytest.mark.anyio
async def test_interrupt_cancels_an_awaiting_cell() -> None:
    async with InProcessKernel() as kernel:
        client = kernel.client()
        code = "import anyio\nprint('awaiting', flush=True)\nawait anyio.sleep(60)"
        cell = client.send("execute_request", {"code": code, "silent": False}, "shell")
        with anyio.fail_after(10):
            async for msg in client.iopub():  # the cell runs and awaits: the interrupt is for it
                if msg["msg_type"] == "stream" and "awaiting" in msg["content"]["text"]:
                    break
        assert (await client.interrupt())["status"] == "ok"
        with anyio.fail_after(10):
            reply = await client.reply(cell)
        assert reply["content"]["ename"] == "KeyboardInterrupt"
        assert (await client.execute("'still serving'"))["status"] == "ok"


@pytest.mark.anyio
async def test_input_is_answered_by_the_input_handler() -> None:
    asked: list[Msg] = []

    def answer(request: Msg) -> str:
        asked.append(request)
        return "Ada"

    async with InProcessKernel() as kernel:
        client = kernel.client(input_handler=answer)
        reply = await client.execute("name = input('name? ')", user_expressions={"n": "name"})
        assert reply["user_expressions"]["n"]["data"]["text/plain"] == "'Ada'"
        assert asked[0]["msg_type"] == "input_request"
        assert asked[0]["content"] == {"prompt": "name? ", "password": False}
        bare = await kernel.client().execute("input('no handler? ')")
        assert bare["ename"] == "StdinNotImplementedError"


@pytest.mark.anyio
async def test_input_from_a_thread_takes_the_stdin_channel() -> None:
    async with InProcessKernel() as kernel:
        client = kernel.client()
        cell = client.send(
            "execute_request",
            {
                "code": "import anyio\nvalue = await anyio.to_thread.run_sync(input, 'q?')",
                "allow_stdin": True,
            },
        )
        with anyio.fail_after(10):
            request = await client.stdin().__anext__()
        assert request["content"]["prompt"] == "q?"
        client.input_reply("from the stdin channel", parent=request)
        with anyio.fail_after(10):
            assert (await client.reply(cell))["content"]["status"] == "ok"
        reply = await client.execute("", user_expressions={"v": "value"})
        assert reply["user_expressions"]["v"]["data"]["text/plain"] == "'from the stdin channel'"


@pytest.mark.anyio
async def test_shutdown_stops_the_main_shell_and_later_requests_get_an_error() -> None:
    async with InProcessKernel(Mode.CONCURRENT) as kernel:
        client = kernel.client()
        assert (await client.shutdown())["status"] == "ok"
        with anyio.fail_after(10):
            while not kernel.stopped:
                await anyio.sleep(0.01)
        reply = await client.execute("1")
        assert reply["status"] == "error" and reply["ename"] == "KernelStopping"


@pytest.mark.anyio
async def test_unsupported_options_fail_at_start_with_a_fix() -> None:
    with pytest.raises(ConfigError, match="unknown mode 'nonsense'"):
        InProcessKernel("nonsense")
    other = "trio" if sniffio.current_async_library() == "asyncio" else "asyncio"
    with pytest.raises(ConfigError, match="host's event loop"):
        async with InProcessKernel(backend=other):
            pass  # pragma: no cover
    assert not hasattr(builtins, "get_ipython"), "a failed start must give the hooks back"


@pytest.mark.anyio
async def test_exit_releases_a_thread_waiting_for_input() -> None:
    with anyio.fail_after(20):
        async with InProcessKernel() as kernel:
            client = kernel.client()
            code = "import anyio\nawait anyio.to_thread.run_sync(input, 'never answered')"
            client.send("execute_request", {"code": code, "allow_stdin": True})
            await client.stdin().__anext__()  # asked; the context now exits without an answer


IN_PROCESS_PDB = """
import asyncio, sys
from braid_kernel import InProcessKernel
from braid_kernel.shell.debugging import kernel_pdb

DEBUGGER = {"pdb", "bdb", "cmd", "IPython.core.debugger"}
CHECK = "import pdb\\nfrom braid_kernel.shell.debugging import kernel_pdb\\n"

async def main():
    async with InProcessKernel() as kernel:
        client = kernel.client()
        assert (await client.execute("pass"))["status"] == "ok"
        assert not DEBUGGER & set(sys.modules), DEBUGGER & set(sys.modules)
        reply = await client.execute(CHECK, user_expressions={"ours": "pdb.Pdb is kernel_pdb()"})
        assert reply["user_expressions"]["ours"]["data"]["text/plain"] == "True", reply
    import pdb
    assert pdb.Pdb is not kernel_pdb() and pdb.Pdb.__module__ == "pdb", pdb.Pdb
    assert pdb.set_trace.__module__ == "pdb", pdb.set_trace

asyncio.run(main())
print("ok")
"""


def test_an_in_process_kernel_replaces_pdb_when_a_cell_imports_it() -> None:
    """In a fresh host, an in-process kernel imports no debugger; a cell's ``import pdb`` gets the
    kernel's, and exiting gives pdb's own back."""
    import subprocess

    done = subprocess.run(
        [sys.executable, "-c", IN_PROCESS_PDB], check=False, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and done.stdout.strip().endswith("ok"), done.stderr


def test_importing_the_package_stays_cheap_and_exports_the_kernel() -> None:
    import subprocess

    code = "import sys, braid_kernel; print('IPython' in sys.modules, 'zmq' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.split() == ["False", "False"]
    assert "InProcessKernel" in braid_kernel.__all__
    assert braid_kernel.InProcessKernel is InProcessKernel


@pytest.mark.anyio
async def test_a_subshell_runs_on_its_own_thread_and_ends_with_the_kernel() -> None:
    threads_before = threading.active_count()
    async with InProcessKernel() as kernel:
        client = kernel.client()
        created = await client.request("create_subshell_request", {}, "control")
        sid = created["content"]["subshell_id"]
        code = "import threading\nprint(threading.current_thread().name)"
        cell = client.send("execute_request", {"code": code, "silent": False}, subshell_id=sid)
        with anyio.fail_after(20):
            assert (await client.reply(cell))["content"]["status"] == "ok"
        texts = "".join(m["content"]["text"] for m in client.iopub_nowait() if m["msg_type"] == "stream")
        assert texts.startswith("braid-subshell-")
        assert threading.active_count() == threads_before + 1
    assert threading.active_count() == threads_before


@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
def test_closing_the_kernel_stops_its_foreign_loop_thread(anyio_backend: str) -> None:
    """run_on's loop of the other backend lives as long as the kernel, and no longer."""
    other = "trio" if anyio_backend == "asyncio" else "asyncio"

    async def main() -> None:
        async with braid_kernel.InProcessKernel(backend=anyio_backend) as kernel:
            client = kernel.client()
            reply = await client.execute(f"import {other}\nawait run_on('{other}', {other}.sleep, 0)")
            assert reply["status"] == "ok", reply
            assert [t.name for t in threading.enumerate() if t.name == f"braid-{other}-loop"]
        assert not [t.name for t in threading.enumerate() if t.name.endswith("-loop")]

    anyio.run(main, backend=anyio_backend)
