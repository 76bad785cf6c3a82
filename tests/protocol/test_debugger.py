"""JupyterLab's debugger over the wire: debug_request on control, debug_event on IOPub, real kernels.

Each test starts its own kernel (debugpy can be started once per process) and plays the sequence
JupyterLab plays: initialize → attach → debugInfo → dumpCell → setBreakpoints → configurationDone →
execute → ``stopped`` → inspect → step → continue → the cell's reply.  At the end every kernel is
shut down, and so is any debugpy adapter process found (the kernel spawns none: it talks to pydevd
over a connection of its own).
"""

from __future__ import annotations

import itertools
import os
import socket
import stat
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from braid_kernel.engine.cellfiles import murmur2
from braid_kernel.features.debugger.engine.framing import FrameDecoder, encode
from braid_kernel.shell.setup import HISTORY_BATCH
from tests.protocol.kernel_client import Msg, RunningKernel

StartDebugKernel = Callable[..., tuple["RunningKernel", "Dap"]]

pytestmark = [pytest.mark.timeout(180), pytest.mark.slow]

WAIT = 60.0  # debugpy's first attach imports a lot; the machine may be loaded

SYNC_CELL = "x = 41 + 1\ny = x * 2\nz = [x, y]\n"
ASYNC_CELL = "import asyncio\nawait asyncio.sleep(0)\na = 'before'\nb = a + ' and after'\n"
FUNCTION_CELL = "def double(n):\n    twice = n * 2\n    return twice\n"
CALLING_CELL = "result = double(21)\n"
TRIO_CELL = "import trio\nawait trio.sleep(0)\nt = 'trio'\nu = t * 2\n"


class Dap:
    """JupyterLab's side of the debugger: DAP requests as debug_request on the control channel."""

    def __init__(self, kernel: RunningKernel) -> None:
        self.kernel = kernel
        self.seq = itertools.count(1)

    def call(self, command: str, **arguments: Any) -> Msg:
        content = {"seq": next(self.seq), "type": "request", "command": command, "arguments": arguments}
        reply = self.kernel.request("debug_request", content, channel="control", timeout=WAIT)
        response: Msg = reply["content"]
        assert response["command"] == command and response["request_seq"] == content["seq"], response
        return response

    def ok(self, command: str, **arguments: Any) -> Msg:
        response = self.call(command, **arguments)
        assert response["success"], response
        body: Msg = response.get("body") or {}
        return body

    def mark(self) -> int:
        self.kernel.drain("iopub")
        return len(self.events())

    def events(self) -> list[Msg]:
        return [m["content"] for m in self.kernel.iopub_log if m["msg_type"] == "debug_event"]

    def event(self, name: str, since: int, timeout: float = WAIT) -> Msg:
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events()[since:]:
                if event.get("event") == name:
                    return event
            if time.monotonic() > deadline:
                seen = [(e.get("event"), e.get("body")) for e in self.events()[since:]]
                pytest.fail(f"no {name!r} debug_event within {timeout:g}s; saw {seen}; {self._threads()}")
            self.kernel.iopub_settle(0.1)

    def _threads(self) -> str:
        """What pydevd reports of the kernel's threads, for a failure's message."""
        try:
            return f"threads: {self.ok('threads')['threads']}"
        except BaseException as exc:  # the failure being reported matters more
            return f"threads: not answered ({exc!r})"

    def start(self) -> Msg:
        """initialize and attach, as JupyterLab does when the debugger is switched on."""
        capabilities = self.ok(
            "initialize",
            clientID="jupyterlab",
            clientName="JupyterLab",
            adapterID="python",
            pathFormat="path",
            linesStartAt1=True,
            columnsStartAt1=True,
            supportsVariableType=True,
            supportsVariablePaging=True,
            supportsRunInTerminalRequest=True,
            locale="en",
        )
        self.ok("attach")
        return capabilities

    def break_at(self, code: str, *lines: int) -> str:
        path = str(self.ok("dumpCell", code=code)["sourcePath"])
        placed = self.ok(
            "setBreakpoints",
            source={"path": path},
            breakpoints=[{"line": line} for line in lines],
            sourceModified=False,
        )["breakpoints"]
        assert [bp["verified"] for bp in placed] == [True] * len(lines), placed
        return path

    def stopped(self, since: int) -> tuple[int, Msg]:
        """Wait for a ``stopped`` event; its thread id and top stack frame."""
        event = self.event("stopped", since)
        thread_id = int(event["body"]["threadId"])
        frames = self.ok("stackTrace", threadId=thread_id)["stackFrames"]
        return thread_id, frames[0]

    def frame_variables(self, frame_id: int) -> dict[str, str]:
        found: dict[str, str] = {}
        for scope in self.ok("scopes", frameId=frame_id)["scopes"]:
            for var in self.ok("variables", variablesReference=scope["variablesReference"])["variables"]:
                found.setdefault(var["name"], var["value"])
        return found

    def stop(self) -> None:
        self.ok("disconnect", restart=False, terminateDebuggee=False)


def _adapters_of(dap: Dap) -> list[psutil.Process]:
    """The debugpy adapter processes serving ``dap``'s kernel (they daemonize: found by the ports
    its ``debugpySockets`` events announced)."""
    ports = {
        str(socket["port"])
        for event in dap.events()
        if event.get("event") == "debugpySockets"
        for socket in event["body"].get("sockets", [])
    }
    found = []
    for process in psutil.process_iter(["cmdline"]):
        cmdline = process.info["cmdline"] or []
        if any("debugpy" in part and "adapter" in part for part in cmdline) and ports & set(cmdline):
            found.append(process)
    return found


@pytest.fixture
def debug_kernel(
    start_kernel: Callable[..., RunningKernel],
) -> Iterator[StartDebugKernel]:
    """Start kernels for debugging; afterwards, shut them and their debugpy adapters down."""
    adapters: list[psutil.Process] = []
    started: list[tuple[RunningKernel, Dap]] = []

    def start(**kwargs: Any) -> tuple[RunningKernel, Dap]:
        kernel = start_kernel(**kwargs)
        started.append((kernel, Dap(kernel)))
        return started[-1]

    yield start
    for kernel, dap in started:
        kernel.drain("iopub")
        adapters += _adapters_of(dap)
        kernel.close()
    _, alive = psutil.wait_procs(adapters, timeout=15)
    for process in alive:
        process.kill()
    assert not alive, f"debugpy adapters outlived their kernel: {[p.pid for p in alive]}"


def _run_to_breakpoint(k: RunningKernel, dap: Dap, code: str, line: int) -> tuple[str, int, Msg]:
    """Break at ``line`` of ``code``, run it, and wait until it stops there."""
    path = dap.break_at(code, line)
    dap.ok("configurationDone")
    mark = dap.mark()
    cell = k.execute_request(code)
    thread_id, top = dap.stopped(mark)
    assert top["source"]["path"] == path and top["line"] == line, top
    assert not k.has_reply(cell), "the cell finished although it is stopped at a breakpoint"
    return cell, thread_id, top


def test_kernel_advertises_the_debugger(kernel: RunningKernel) -> None:
    info = kernel.kernel_info()
    assert "debugger" in info["supported_features"]
    assert info["debugger"] is True


def test_the_history_saving_thread_is_kernel_machinery(kernel: RunningKernel) -> None:
    """IPython's history saving thread starts with the first batch of cells written, not with the
    kernel: it is marked for the debugger (never traced, never listed) all the same."""
    for n in range(HISTORY_BATCH):
        kernel.run(f"batch_cell_{n} = {n}")
    found = (
        "[getattr(t, 'pydev_do_not_trace', False) for t in __import__('threading').enumerate()"
        " if t.name == 'IPythonHistorySavingThread']"
    )
    assert kernel.value(found) == "[True]"


def test_requests_before_initialize_fail_with_a_clear_message(kernel: RunningKernel) -> None:
    response = Dap(kernel).call("stackTrace", threadId=1)
    assert response["success"] is False
    assert "initialize" in response["message"] and "attach" in response["message"], response


def test_full_sequence_on_a_sync_cell(debug_kernel: StartDebugKernel) -> None:
    k, dap = debug_kernel()
    before = dap.ok("debugInfo")
    assert before["isStarted"] is False and before["hashMethod"] == "Murmur2"
    capabilities = dap.start()
    assert capabilities["supportsConfigurationDoneRequest"] is True
    info = dap.ok("debugInfo")
    assert info["isStarted"] is True
    path = str(dap.ok("dumpCell", code=SYNC_CELL)["sourcePath"])
    assert path.startswith(info["tmpFilePrefix"]) and path.endswith(info["tmpFileSuffix"])

    cell, thread_id, top = _run_to_breakpoint(k, dap, SYNC_CELL, 2)
    assert dap.ok("debugInfo")["stoppedThreads"] == [thread_id]
    assert dap.frame_variables(top["id"])["x"] == "42"
    listing = {v["name"]: v["value"] for v in dap.ok("inspectVariables")["variables"]}
    assert listing.get("x") == "42"
    rich = dap.ok("richInspectVariables", variableName="x", frameId=top["id"])
    assert rich["data"]["text/plain"] == "42"

    mark = dap.mark()
    dap.ok("next", threadId=thread_id)
    _, after_step = dap.stopped(mark)
    assert after_step["line"] == 3
    assert dap.frame_variables(after_step["id"])["y"] == "84"
    dap.ok("continue", threadId=thread_id)

    done = k.finish(cell, timeout=WAIT)
    assert done.status == "ok", done.describe()
    assert k.value("z") == "[42, 84]"
    dap.stop()


def test_full_sequence_on_an_async_cell(debug_kernel: StartDebugKernel) -> None:
    k, dap = debug_kernel()
    k.run("earlier = 'defined before'")
    dap.start()
    cell, thread_id, top = _run_to_breakpoint(k, dap, ASYNC_CELL, 3)
    variables = dap.frame_variables(top["id"])
    assert "asyncio" in variables, variables
    listing = {v["name"]: v["value"] for v in dap.ok("inspectVariables")["variables"]}
    assert listing.get("earlier") == "'defined before'", listing
    rich = dap.ok("richInspectVariables", variableName="asyncio", frameId=top["id"])
    assert "asyncio" in rich["data"]["text/plain"]

    mark = dap.mark()
    dap.ok("next", threadId=thread_id)
    _, after_step = dap.stopped(mark)
    assert after_step["line"] == 4
    assert dap.frame_variables(after_step["id"])["a"] == "'before'"
    dap.ok("continue", threadId=thread_id)

    done = k.finish(cell, timeout=WAIT)
    assert done.status == "ok", done.describe()
    assert k.value("b") == "'before and after'"
    dap.stop()


def test_breakpoint_in_a_function_from_an_earlier_cell(
    debug_kernel: StartDebugKernel,
) -> None:
    k, dap = debug_kernel()
    dap.start()
    path = dap.break_at(FUNCTION_CELL, 3)
    dap.ok("configurationDone")
    k.run(FUNCTION_CELL)  # defines the function; the breakpoint is inside it, not hit yet

    mark = dap.mark()
    cell = k.execute_request(CALLING_CELL)
    thread_id, top = dap.stopped(mark)
    assert top["source"]["path"] == path and top["line"] == 3 and top["name"] == "double", top
    assert dap.frame_variables(top["id"])["twice"] == "42"
    dap.ok("continue", threadId=thread_id)
    assert k.finish(cell, timeout=WAIT).status == "ok"
    assert k.value("result") == "42"
    dap.stop()


def test_control_answers_while_stopped_at_a_breakpoint(
    debug_kernel: StartDebugKernel,
) -> None:
    k, dap = debug_kernel()
    dap.start()
    cell, thread_id, _ = _run_to_breakpoint(k, dap, SYNC_CELL, 2)
    info = k.kernel_info(channel="control")
    assert info["implementation"] == "braid-kernel"
    assert k.request("kernel_info_request", timeout=WAIT)["content"]["status"] == "ok"  # shell, inline
    assert not k.has_reply(cell)
    dap.ok("continue", threadId=thread_id)
    assert k.finish(cell, timeout=WAIT).status == "ok"
    dap.stop()


def test_disconnect_while_stopped_lets_the_cell_finish(
    debug_kernel: StartDebugKernel,
) -> None:
    k, dap = debug_kernel()
    dap.start()
    cell, _, _ = _run_to_breakpoint(k, dap, SYNC_CELL, 2)
    dap.stop()
    assert k.finish(cell, timeout=WAIT).status == "ok"
    assert k.run(SYNC_CELL).status == "ok"  # the old breakpoints are gone with the session


def test_concurrent_mode_while_a_cell_is_stopped(
    debug_kernel: StartDebugKernel,
) -> None:
    """Only the stopped cell's thread is suspended: a subshell (its own thread) and a thread the
    user started keep running.  Cells of the stopped cell's own shell share its thread and event
    loop, which pydevd holds while stopped: they run after ``continue`` (see docs/architecture.md)."""
    from tests.protocol.test_subshells import create, send_execute

    k, dap = debug_kernel(kernel_name="braid-concurrent")
    k.run(
        "import threading, time\nticks = []\nstop_ticking = threading.Event()\n"
        "def tick():\n    while not stop_ticking.wait(0.05):\n        ticks.append(1)\n"
        "threading.Thread(target=tick, daemon=True).start()"
    )
    dap.start()
    sid = create(k)
    cell, thread_id, _ = _run_to_breakpoint(k, dap, ASYNC_CELL, 3)
    queued = k.execute_request("'ran after continue'")
    probe = "n = len(ticks)\ntime.sleep(0.5)\nlen(ticks) > n"
    in_subshell = k.finish(send_execute(k, probe, sid), timeout=WAIT)
    assert in_subshell.status == "ok", in_subshell.describe()
    assert in_subshell.result == "True", "the user's thread did not run while the cell was stopped"
    assert not k.has_reply(cell)
    dap.ok("continue", threadId=thread_id)
    assert k.finish(cell, timeout=WAIT).status == "ok"
    assert k.finish(queued, timeout=WAIT).result == "'ran after continue'"
    k.run("stop_ticking.set()")
    dap.stop()


def test_trio_backend(debug_kernel: StartDebugKernel) -> None:
    k, dap = debug_kernel(extra_arguments=["--backend", "trio"])
    assert k.value("import sniffio\nsniffio.current_async_library()") == "'trio'"
    dap.start()
    for code, line in ((SYNC_CELL, 2), (TRIO_CELL, 3)):
        cell, thread_id, top = _run_to_breakpoint(k, dap, code, line)
        assert dap.frame_variables(top["id"]), "no variables in the stopped frame"
        dap.ok("continue", threadId=thread_id)
        done = k.finish(cell, timeout=WAIT)
        assert done.status == "ok", done.describe()
    dap.stop()


def _listening_ports(k: RunningKernel, dap: Dap) -> set[int]:
    """Every loopback TCP port a debugger-related process listens on, except the kernel's own five
    ZeroMQ ports: the kernel's, its descendants', debugpy adapters' (they daemonize), and the ports
    ``debugpySockets`` events announced."""
    info = k.km.get_connection_info()
    zmq_ports = {int(info[f"{name}_port"]) for name in ("shell", "iopub", "stdin", "control", "hb")}
    kernel = psutil.Process(k.pid)
    processes = [kernel, *kernel.children(recursive=True)]
    for process in psutil.process_iter(["cmdline"]):
        if any("debugpy" in part for part in process.info["cmdline"] or []):
            processes.append(process)
    ports = {
        int(socket_info["port"])
        for event in dap.events()
        if event.get("event") == "debugpySockets"
        for socket_info in event["body"].get("sockets", [])
    }
    for process in processes:
        try:
            connections = process.net_connections(kind="tcp")
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        ports |= {c.laddr.port for c in connections if c.status == psutil.CONN_LISTEN}
    return ports - zmq_ports


def _dap_attack(port: int, marker: Path) -> Msg | None:
    """What a local process without the kernel's key can do on ``port``: play a DAP client
    (initialize, attach, configurationDone) and evaluate code that writes ``marker``.  Returns the
    evaluate response if the port gave it a session."""
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    except OSError:
        return None
    decoder = FrameDecoder()
    seq = itertools.count(1)
    pending: list[Msg] = []

    def send(command: str, **arguments: Any) -> None:
        sock.sendall(
            encode({"seq": next(seq), "type": "request", "command": command, "arguments": arguments})
        )

    def receive(match: Callable[[Msg], bool]) -> Msg | None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            for message in pending:
                if match(message):
                    pending.remove(message)
                    return message
            try:
                data = sock.recv(65536)
            except OSError:
                return None
            if not data:
                return None
            pending.extend(decoder.feed(data))
        return None

    def response(command: str) -> Msg | None:
        return receive(lambda m: m.get("type") == "response" and m.get("command") == command)

    with sock:
        send("initialize", clientID="intruder", adapterID="python", pathFormat="path")
        if response("initialize") is None:
            return None
        send("attach", justMyCode=False)
        if receive(lambda m: m.get("event") == "initialized" or m.get("command") == "attach") is None:
            return None
        send("configurationDone")
        response("configurationDone")
        code = f"open({str(marker)!r}, 'w').write('intruder was here')"
        send("evaluate", expression=code, context="repl")
        answer = response("evaluate")
        return answer if answer is not None and answer.get("success") else None


def test_no_debugger_port_accepts_a_session_the_kernel_did_not_open(
    debug_kernel: StartDebugKernel, tmp_path: Path
) -> None:
    """After the frontend turns the debugger off, no port left behind runs code for a local process
    that lacks the key; the frontend can turn the debugger on again and debug a cell."""
    k, dap = debug_kernel()
    dap.start()
    dap.stop()
    marker = tmp_path / "intruder-marker"
    ports = _listening_ports(k, dap)
    for port in sorted(ports):
        answer = _dap_attack(port, marker)
        assert answer is None, f"port {port} evaluated code for a process without the key: {answer}"
    assert not marker.exists(), "a process without the key ran code in the kernel"
    assert ports == set(), f"ports left listening after the debugger was switched off: {ports}"
    assert k.run("'still serving'").status == "ok"

    dap.start()
    assert _listening_ports(k, dap) == set(), "a port is open for DAP clients while debugging"
    cell, thread_id, top = _run_to_breakpoint(k, dap, SYNC_CELL, 2)
    assert dap.frame_variables(top["id"])["x"] == "42"
    dap.ok("continue", threadId=thread_id)
    assert k.finish(cell, timeout=WAIT).status == "ok"
    dap.stop()
    assert k.run(SYNC_CELL).status == "ok"  # no breakpoint left behind


def _planting_env(tmp_path: Path, planted: str) -> tuple[dict[str, str], Path, Path]:
    """A kernel environment with its own temp dir where, before the kernel starts (from a
    ``sitecustomize`` run by its interpreter, which knows the pid), another user's ``braid_<pid>``
    is planted: a directory open to everyone, or a symlink to one.  Returns the environment,
    the temp dir and the directory a symlink leads to."""
    temp, victim_dir, hooks = tmp_path / "tmp", tmp_path / "victim-dir", tmp_path / "hooks"
    for directory in (temp, victim_dir, hooks):
        directory.mkdir()
    temp.chmod(0o1777)
    victim_dir.chmod(0o777)
    plant = (
        f"os.symlink({str(victim_dir)!r}, target)"
        if planted == "symlink"
        else "os.mkdir(target); os.chmod(target, 0o777); os.chown(target, 65534, 65534)"
    )
    (hooks / "sitecustomize.py").write_text(
        f"import os\ntarget = os.path.join({str(temp)!r}, f'braid_{{os.getpid()}}')\n{plant}\n"
    )
    env = {**os.environ, "TMPDIR": str(temp), "PYTHONPATH": str(hooks)}
    return env, temp, victim_dir


def test_cells_are_dumped_in_braid_pid_made_private_at_start(
    debug_kernel: StartDebugKernel, tmp_path: Path
) -> None:
    """The directory is named as ipykernel names its own (``ipykernel_<pid>``), so tracebacks and
    debugger paths read alike; the kernel makes it when it starts, private to its user."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    k, dap = debug_kernel(env={**os.environ, "TMPDIR": str(temp)})
    info = dap.ok("debugInfo")
    assert info["tmpFilePrefix"] == f"{temp}/braid_{k.pid}/"
    directory = temp / f"braid_{k.pid}"
    assert stat.S_IMODE(directory.lstat().st_mode) == 0o700 and directory.lstat().st_uid == os.geteuid()
    path = Path(dap.ok("dumpCell", code=SYNC_CELL)["sourcePath"])
    assert path.parent == directory and path.read_text() == SYNC_CELL
    assert stat.S_IMODE(path.lstat().st_mode) == 0o600


def test_a_kernel_that_dumped_no_cell_leaves_no_directory_behind(
    start_kernel: Callable[..., RunningKernel], tmp_path: Path
) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    k = start_kernel(env={**os.environ, "TMPDIR": str(temp)})
    directory = temp / f"braid_{k.pid}"
    assert (
        k.value("import tempfile, os\nos.path.isdir(tempfile.gettempdir() + f'/braid_{os.getpid()}')")
        == "True"
    )
    k.close()  # a normal shutdown
    assert not k.is_alive() and not directory.exists()


@pytest.mark.parametrize("planted", ["symlink", "directory of another user"])
def test_dumped_cells_go_to_a_private_directory_and_never_through_a_symlink(
    debug_kernel: StartDebugKernel, tmp_path: Path, planted: str
) -> None:
    """Another local user who plants ``braid_<pid>`` before the kernel makes it (a directory
    open to everyone, or a symlink to one) neither reads the dumped cells nor makes a dump write
    through a symlink: the kernel takes a fresh private name; the names still follow debugInfo's
    tmpFilePrefix/tmpFileSuffix contract."""
    if planted != "symlink" and os.geteuid() != 0:
        pytest.skip("needs root to give a directory to another user")
    env, temp, victim_dir = _planting_env(tmp_path, planted)
    k, dap = debug_kernel(env=env)
    plant = temp / f"braid_{k.pid}"
    assert plant.is_symlink() or plant.lstat().st_uid == 65534, "the plant was not in place"
    watched = victim_dir if plant.is_symlink() else plant
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    info = dap.ok("debugInfo")
    assert info["tmpFilePrefix"].startswith(f"{temp}/braid_{k.pid}_"), info
    path = Path(dap.ok("dumpCell", code=SYNC_CELL)["sourcePath"])
    assert str(path).startswith(info["tmpFilePrefix"]) and str(path).endswith(info["tmpFileSuffix"])
    assert path.read_text() == SYNC_CELL
    assert list(watched.iterdir()) == [], "cells were dumped where the other user planted"
    directory = path.parent
    assert stat.S_IMODE(directory.lstat().st_mode) == 0o700 and directory.lstat().st_uid == os.geteuid()
    assert stat.S_IMODE(path.lstat().st_mode) == 0o600

    # Even in its own directory (say, the user's own mistake), a symlink at a cell's name is replaced.
    name = murmur2(FUNCTION_CELL.encode(), info["hashSeed"])
    (directory / f"{name}{info['tmpFileSuffix']}").symlink_to(victim)
    function_path = Path(dap.ok("dumpCell", code=FUNCTION_CELL)["sourcePath"])
    assert victim.read_text() == "precious"
    assert not function_path.is_symlink() and function_path.read_text() == FUNCTION_CELL

    dap.start()  # the debugger finds the dumped cells where debugInfo said they are
    cell, thread_id, top = _run_to_breakpoint(k, dap, SYNC_CELL, 2)
    assert top["source"]["path"] == str(path)
    dap.ok("continue", threadId=thread_id)
    assert k.finish(cell, timeout=WAIT).status == "ok"
    dap.stop()
