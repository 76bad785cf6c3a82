"""``braid-kernel launch`` driven by a real gateway_provisioners server, and by a fake one.

gateway_provisioners' ``DistributedProvisioner`` launches kernels on its ``remote_hosts``; for a
local address (the default ``localhost``) it starts the kernelspec's argv itself instead of going
through ssh, then waits on its response socket for the encrypted connection info, signals and
polls the kernel through the comm port and stops it with a ``shutdown_request`` followed by
``{"shutdown": 1}``.  Those tests use jupyter_client's ``AsyncKernelManager`` the way Jupyter
Server does.  The process-level tests at the end use a fake response server
(:mod:`tests.app.remote.server`) to check what must happen before, or instead of, the answer.

Every kernel process a test starts is waited for; none may survive it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
import zmq
from jupyter_client.session import Session

from tests.app.remote.server import FakeResponseServer
from tests.protocol.conftest import BraidEnv

pytest.importorskip("gateway_provisioners", reason="the test extra installs gateway_provisioners")
pytest.importorskip("cryptography", reason="the remote extra installs cryptography")

from jupyter_client.manager import AsyncKernelManager

pytestmark = [pytest.mark.timeout(180), pytest.mark.slow]

SPEC = "braid-gp-test"
TIMEOUT = 30.0


@pytest.fixture(scope="module")
def gp_spec(braid_env: BraidEnv, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A ``--remote gp`` kernelspec binding loopback only; gateway_provisioners' response socket on
    loopback and its kernel logs in a private directory (settings it reads when first imported)."""
    subprocess.run(
        [sys.executable, "-m", "braid_kernel", "install", "--remote", "gp", "--name", SPEC,
         "--log-level", "INFO", "--prefix", str(braid_env.prefix)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    path = braid_env.prefix / "share" / "jupyter" / "kernels" / SPEC / "kernel.json"
    spec = json.loads(path.read_text())
    spec["argv"] += ["--ip", "127.0.0.1"]
    path.write_text(json.dumps(spec))
    with socket.socket() as probe:  # the response socket: loopback, a port free a moment ago
        probe.bind(("127.0.0.1", 0))
        response_port = probe.getsockname()[1]
    settings = {
        "GP_KERNEL_LOG_DIR": str(tmp_path_factory.mktemp("gp-logs")),
        "GP_RESPONSE_IP": "127.0.0.1",
        "GP_RESPONSE_PORT": str(response_port),
    }
    saved = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    yield SPEC
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="module")
def server_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """One event loop for every gateway test, as a server has: gateway_provisioners' response
    manager is a process-wide singleton that polls its socket on the loop it was created on."""
    loop = asyncio.new_event_loop()
    yield loop
    from gateway_provisioners.response_manager import ResponseManager  # type: ignore[import-untyped]

    if ResponseManager.initialized():
        ResponseManager.instance().stop_response_manager()
        ResponseManager.clear_instance()
    loop.close()


def gone(pid: int, timeout: float = TIMEOUT) -> bool:
    """Whether process ``pid`` has exited (reaped or not) within ``timeout``."""
    try:
        proc = psutil.Process(pid)
        proc.wait(timeout)
    except psutil.NoSuchProcess:
        return True
    except psutil.TimeoutExpired:
        return proc.status() == psutil.STATUS_ZOMBIE
    return True


def json_files(*dirs: Path) -> list[Path]:
    return [path for d in dirs if d.exists() for path in d.rglob("*.json")]


class GatewayKernel:
    """One kernel started through gateway_provisioners, with an async client."""

    def __init__(self, km: AsyncKernelManager) -> None:
        self.km = km
        self.kc: Any = None
        self.pids: list[int] = []

    @property
    def provisioner(self) -> Any:
        return self.km.provisioner

    async def connect(self) -> None:
        if self.kc is not None:
            self.kc.stop_channels()
        self.pids.append(self.provisioner.pid)
        self.kc = self.km.client()
        self.kc.start_channels()
        await self.kc.wait_for_ready(timeout=TIMEOUT)

    async def finish(self, msg_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The reply to ``msg_id`` and its IOPub messages up to idle."""
        iopub = []
        while True:
            msg = await self.kc.get_iopub_msg(timeout=TIMEOUT)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            iopub.append(msg)
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                break
        while True:
            reply = await self.kc.get_shell_msg(timeout=TIMEOUT)
            if reply["parent_header"].get("msg_id") == msg_id:
                return reply, iopub

    async def run(self, code: str) -> str:
        """Execute ``code``; its stdout (the reply must be ok)."""
        reply, iopub = await self.finish(self.kc.execute(code))
        assert reply["content"]["status"] == "ok", reply["content"]
        return "".join(m["content"]["text"] for m in iopub if m["msg_type"] == "stream")

    async def started(self, code: str) -> str:
        """Send ``code`` and wait until it prints ``started`` (it is running); its msg_id."""
        msg_id: str = self.kc.execute(code)
        while True:
            msg = await self.kc.get_iopub_msg(timeout=TIMEOUT)
            is_ours = msg["parent_header"].get("msg_id") == msg_id
            if is_ours and msg["msg_type"] == "stream" and "started" in msg["content"]["text"]:
                return msg_id


@contextlib.asynccontextmanager
async def gateway_kernel(
    name: str, tmp_path: Path, encryption: str = "disabled"
) -> AsyncIterator[GatewayKernel]:
    km = AsyncKernelManager(kernel_name=name, transport_encryption=encryption)
    # gateway_provisioners refuses to launch for root unless KERNEL_USERNAME names someone else;
    # TMPDIR is the kernel's own, to check it leaves no connection file there.
    (tmp_path / "tmp").mkdir(exist_ok=True)
    env = dict(os.environ, KERNEL_USERNAME="braid-test", TMPDIR=str(tmp_path / "tmp"))
    await asyncio.wait_for(km.start_kernel(env=env), TIMEOUT * 2)
    kernel = GatewayKernel(km)
    try:
        await kernel.connect()
        yield kernel
    finally:
        if kernel.kc is not None:
            kernel.kc.stop_channels()
        if await km.is_alive():
            await km.shutdown_kernel(now=True)
        for pid in kernel.pids:
            assert gone(pid), f"kernel process {pid} survived"


def test_gateway_provisioners_launches_interrupts_restarts_and_stops_braid(
    gp_spec: str, tmp_path: Path, braid_env: BraidEnv, server_loop: asyncio.AbstractEventLoop
) -> None:
    async def scenario() -> None:
        async with gateway_kernel(gp_spec, tmp_path) as kernel:
            provisioner = kernel.provisioner
            assert type(provisioner).__name__ == "DistributedProvisioner"
            assert provisioner.assigned_ip == "127.0.0.1" and provisioner.comm_port > 0
            first = provisioner.pid  # the pid the launcher reported in its payload
            assert (await kernel.run("import os; print(os.getpid())")).strip() == str(first)
            assert provisioner.local_proc is not None and provisioner.local_proc.pid == first, "went via ssh"
            # the garbage collector, paused while the kernel started, runs again (app/collector.py)
            assert (await kernel.run("import gc; print(gc.isenabled())")).strip() == "True"
            await kernel.run("x = 42")

            # the comm port: SIGINT delivered by the launcher (first: a raw SIGINT within 0.2 s of
            # an earlier interrupt counts as its duplicate, see engine/interrupt.py), liveness polls
            msg_id = await kernel.started("import time; print('started', flush=True); time.sleep(120)")
            await provisioner.send_signal(signal.SIGINT)
            reply, _ = await kernel.finish(msg_id)
            assert reply["content"]["ename"] == "KeyboardInterrupt"
            assert await provisioner.poll() is None

            # interrupt_mode message: an interrupt_request on the control channel
            msg_id = await kernel.started("print('started', flush=True); time.sleep(120)")
            await kernel.km.interrupt_kernel()
            reply, _ = await kernel.finish(msg_id)
            assert reply["content"]["ename"] == "KeyboardInterrupt"

            await kernel.km.restart_kernel()
            await kernel.connect()
            second = kernel.pids[-1]
            assert second != first
            assert gone(first), "the kernel before the restart still runs"
            assert "NameError" in await kernel.run(
                "try:\n    x\nexcept NameError as e:\n    print('NameError')"
            )
            assert (
                await kernel.run("print(os.getpid() if 'os' in dir() else __import__('os').getpid())")
            ).strip() == str(second)
            # no connection file anywhere the launcher could have written one
            assert json_files(tmp_path / "tmp", braid_env.runtime_dir) == []

            kernel.kc.stop_channels()
            kernel.kc = None
            await kernel.km.shutdown_kernel()  # shutdown_request on control, then {"shutdown": 1}
            assert gone(second), "the kernel survived its shutdown"
            assert await provisioner.poll() == 0  # the comm port closed with the process

    server_loop.run_until_complete(scenario())


def test_gateway_provisioners_gets_a_curve_encrypted_kernel(
    gp_spec: str, tmp_path: Path, server_loop: asyncio.AbstractEventLoop
) -> None:
    async def scenario() -> None:
        async with gateway_kernel(gp_spec, tmp_path, encryption="required") as kernel:
            server_key = kernel.km.curve_publickey
            assert server_key is not None and len(server_key) == 40, "no CurveZMQ key came back"
            assert (await kernel.run("print(6 * 7)")).strip() == "42"  # the manager's client: CURVE
            info: dict[str, Any] = dict(kernel.km.get_connection_info())
            assert plaintext_reply(info, curve_serverkey=None) is None, "a plaintext client was answered"
            assert plaintext_reply(info, curve_serverkey=server_key) is not None
            await kernel.km.restart_kernel()  # a fresh kernel with fresh keys, still encrypted
            await kernel.connect()
            assert kernel.km.curve_publickey not in (None, server_key)
            assert (await kernel.run("print('encrypted after restart')")).strip() == "encrypted after restart"

    server_loop.run_until_complete(scenario())


def plaintext_reply(info: dict[str, Any], curve_serverkey: bytes | None) -> dict[str, Any] | None:
    """A kernel_info reply to a DEALER signing with the right key, over CURVE only if a server key
    is given; None if none came within a few seconds."""
    key = info["key"] if isinstance(info["key"], bytes) else info["key"].encode()
    session = Session(key=key, signature_scheme=info["signature_scheme"])
    sock = zmq.Context.instance().socket(zmq.DEALER)
    sock.linger = 0
    if curve_serverkey is not None:
        sock.curve_publickey, sock.curve_secretkey = zmq.curve_keypair()
        sock.curve_serverkey = curve_serverkey
    try:
        sock.connect(f"tcp://{info['ip']}:{info['shell_port']}")
        session.send(sock, "kernel_info_request", {})
        if not sock.poll(3000 if curve_serverkey is None else int(TIMEOUT * 1000)):
            return None
        _, msg = session.feed_identities(sock.recv_multipart())
        reply: dict[str, Any] = session.deserialize(msg)
        return reply
    finally:
        sock.close()


# ---------------------------------------------------------------- the process against a fake server


@pytest.fixture
def server() -> Iterator[FakeResponseServer]:
    fake = FakeResponseServer()
    yield fake
    fake.close()


def launch(
    server: FakeResponseServer, tmp_path: Path, *extra: str, address: str | None = None
) -> subprocess.Popen[str]:
    (tmp_path / "tmp").mkdir(exist_ok=True)
    argv = [
        sys.executable, "-m", "braid_kernel", "launch", "--kernel-id", "k-test",
        "--response-address", address or server.address, "--public-key", server.public_key,
        "--ip", "127.0.0.1", *extra,
    ]  # fmt: skip
    # JPY_PARENT_PID: the kernel stops if this test process dies (app.parent).
    env = dict(os.environ, TMPDIR=str(tmp_path / "tmp"), JPY_PARENT_PID=str(os.getpid()))
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)


def finished(proc: subprocess.Popen[str]) -> tuple[int, str]:
    try:
        out, _ = proc.communicate(timeout=TIMEOUT * 2)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        pytest.fail(f"the launcher did not exit:\n{out}")
    return proc.returncode, out


def free_block(size: int) -> tuple[int, int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        lower = min(probe.getsockname()[1], 65535 - size)
    return lower, lower + size - 1


def test_the_launcher_answers_with_ports_in_range_and_stops_on_request(
    server: FakeResponseServer, tmp_path: Path, braid_env: BraidEnv
) -> None:
    lower, upper = free_block(500)
    proc = launch(server, tmp_path, "--port-range", f"{lower}..{upper}")
    try:
        info = server.receive(timeout=TIMEOUT * 2)
        ports = [info[f"{c}_port"] for c in ("shell", "iopub", "stdin", "control", "hb")] + [
            info["comm_port"]
        ]
        assert all(lower <= port <= upper for port in ports), (ports, lower, upper)
        assert info["pid"] == proc.pid and info["kernel_id"] == "k-test"
        # the kernel serves on the ports it announced (it was serving before it announced them)
        reply = plaintext_reply(info, curve_serverkey=None)
        assert reply is not None and reply["content"]["implementation"] == "braid-kernel"
        assert json_files(tmp_path / "tmp", braid_env.runtime_dir) == []
        with socket.create_connection(("127.0.0.1", info["comm_port"]), timeout=TIMEOUT) as comm:
            comm.sendall(b'{"shutdown": 1}')
            comm.shutdown(socket.SHUT_WR)
        status, out = finished(proc)
        assert status == 0, out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert json_files(tmp_path / "tmp") == []


def test_a_kernel_that_cannot_reach_the_server_exits(server: FakeResponseServer, tmp_path: Path) -> None:
    with socket.socket() as closed:  # a bound port nobody listens on: connection refused
        closed.bind(("127.0.0.1", 0))
        proc = launch(server, tmp_path, address=f"127.0.0.1:{closed.getsockname()[1]}")
        status, out = finished(proc)
    assert status == 1, out
    assert "could not send the connection info" in out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--session-idle-timeout", "5"], "multi mode"),  # a kernel option check_supported refuses
        (["--transport-encryption", "sometimes"], "--transport-encryption 'sometimes'"),
        (["--port-range", "70000..70010"], "--port-range"),
    ],
)
def test_a_bad_setup_fails_before_the_server_hears_of_it(
    server: FakeResponseServer, tmp_path: Path, extra: list[str], message: str
) -> None:
    status, out = finished(launch(server, tmp_path, *extra))
    assert status == 2, out
    assert message in out
    assert server.receive_raw(timeout=0.01) is None, "the launcher announced a kernel that could not start"


def test_a_bad_public_key_fails_before_the_server_hears_of_it(
    server: FakeResponseServer, tmp_path: Path
) -> None:
    server.public_key = "QUJDRA=="  # base64, but no key
    status, out = finished(launch(server, tmp_path))
    assert status == 2, out
    assert "not a public key" in out
    assert server.receive_raw(timeout=0.01) is None


def test_a_kernel_that_fails_after_binding_its_sockets_is_never_announced(
    server: FakeResponseServer, tmp_path: Path
) -> None:
    """The sockets bind, then building the shell fails (an IPython option it refuses): the server
    must not have been told about a kernel that never served."""
    status, out = finished(launch(server, tmp_path, "--InteractiveShell.autocall=7"))
    assert status != 0, out
    assert "autocall" in out
    assert server.receive_raw(timeout=0.01) is None, "the launcher announced a kernel that could not start"
