"""Drive real braid kernel processes over ZeroMQ, the way JupyterLab and nbclient do.

:class:`RunningKernel` starts a kernel with jupyter_client's ``KernelManager`` (its stdout and stderr
captured to a log file) and talks to it through a ``BlockingKernelClient``.  Every message read from
a channel is filed under the ``msg_id`` of its parent, so a test asks for "the reply to this
request" or "the IOPub messages of this cell" and never mistakes another request's traffic for its
own.  :class:`RawChannel` is a bare DEALER socket for crafting frames by hand.

Every wait is bounded: a missing reply fails the test after ``timeout`` seconds instead of hanging.
"""

from __future__ import annotations

import re
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from queue import Empty
from typing import Any

import pytest
import zmq
from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.manager import KernelManager
from jupyter_client.session import Session
from jupyter_core.paths import jupyter_runtime_dir

TIMEOUT = 20.0  # the bound on any single wait for a message
STARTUP_TIMEOUT = 60.0

# Every kernel process this test process started, for the session-end leak check.
STARTED_PIDS: set[int] = set()

Msg = dict[str, Any]
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def is_idle(msg: Msg) -> bool:
    return msg["msg_type"] == "status" and msg["content"].get("execution_state") == "idle"


def of_type(messages: Iterable[Msg], msg_type: str) -> list[Msg]:
    return [m for m in messages if m["msg_type"] == msg_type]


def stream_text(messages: Iterable[Msg], name: str = "stdout") -> str:
    return "".join(
        m["content"]["text"] for m in messages if m["msg_type"] == "stream" and m["content"]["name"] == name
    )


@dataclass
class Executed:
    """One execute_request's reply and the IOPub messages parented to it, up to its idle."""

    msg_id: str
    reply: Msg
    iopub: list[Msg]

    @property
    def content(self) -> Msg:
        return self.reply["content"]

    @property
    def status(self) -> str:
        return self.content["status"]

    @property
    def stdout(self) -> str:
        return stream_text(self.iopub, "stdout")

    @property
    def stderr(self) -> str:
        return stream_text(self.iopub, "stderr")

    def of_type(self, msg_type: str) -> list[Msg]:
        return of_type(self.iopub, msg_type)

    @property
    def result(self) -> str:
        """The text/plain of the single execute_result."""
        results = self.of_type("execute_result")
        assert len(results) == 1, f"expected one execute_result, got {self.describe()}"
        return results[0]["content"]["data"]["text/plain"]

    def describe(self) -> str:
        types = [m["msg_type"] for m in self.iopub]
        c = self.content
        error = f" {c.get('ename')}: {c.get('evalue')}" if c.get("status") == "error" else ""
        return f"status={c.get('status')}{error} iopub={types} stdout={self.stdout[:300]!r}"


class RoutingClient:
    """A blocking kernel client that files every message under its parent's ``msg_id``."""

    def __init__(self, kc: BlockingKernelClient) -> None:
        self.kc = kc
        self.replies: dict[str, dict[str | None, deque[Msg]]] = {
            channel: defaultdict(deque) for channel in ("shell", "control", "stdin")
        }
        self.iopub_by_parent: dict[str | None, list[Msg]] = defaultdict(list)
        self.iopub_log: list[Msg] = []  # every IOPub message, in arrival order
        self.shell_arrivals: list[str | None] = []  # parent msg_id of each shell reply, in arrival order

    # ------------------------------------------------------------ sending
    def send(self, channel: str, msg_type: str, content: Msg | None = None, **header: Any) -> str:
        """Send a request on ``channel`` ("shell", "control", "stdin"); returns its msg_id."""
        msg = self.kc.session.msg(msg_type, content or {})
        msg["header"].update(header)
        getattr(self.kc, f"{channel}_channel").send(msg)
        return msg["header"]["msg_id"]

    def execute_request(self, code: str, **content: Any) -> str:
        body = {
            "code": code,
            "silent": False,
            "store_history": True,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
            **content,
        }
        return self.send("shell", "execute_request", body)

    # ------------------------------------------------------------ receiving
    def _pump(self, channel: str, timeout: float) -> bool:
        try:
            msg = getattr(self.kc, f"get_{channel}_msg")(timeout=timeout)
        except Empty:
            return False
        parent = msg["parent_header"].get("msg_id")
        if channel == "iopub":
            self.iopub_log.append(msg)
            self.iopub_by_parent[parent].append(msg)
        else:
            if channel == "shell":
                self.shell_arrivals.append(parent)
            self.replies[channel][parent].append(msg)
        return True

    def drain(self, channel: str) -> None:
        """Read everything already queued on ``channel`` without waiting."""
        while self._pump(channel, 0):
            pass

    def maybe_reply(self, msg_id: str, channel: str = "shell", timeout: float = TIMEOUT) -> Msg | None:
        """The next message on ``channel`` whose parent is ``msg_id``, or None after ``timeout``."""
        box = self.replies[channel][msg_id]
        deadline = time.monotonic() + timeout
        while not box:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self._pump(channel, min(left, 0.1))
        return box.popleft()

    def reply(self, msg_id: str, channel: str = "shell", timeout: float = TIMEOUT) -> Msg:
        msg = self.maybe_reply(msg_id, channel, timeout)
        if msg is None:
            pytest.fail(f"no reply on {channel} to request {msg_id} within {timeout:g}s")
        return msg

    def has_reply(self, msg_id: str, channel: str = "shell") -> bool:
        """Whether a reply to ``msg_id`` has arrived (reads what is queued, never waits)."""
        self.drain(channel)
        return bool(self.replies[channel][msg_id])

    def iopub_wait(
        self, msg_id: str | None, predicate: Callable[[Msg], bool], timeout: float = TIMEOUT, what: str = ""
    ) -> Msg:
        """The first IOPub message parented to ``msg_id`` that matches ``predicate``."""
        box = self.iopub_by_parent[msg_id]
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for msg in box[seen:]:
                if predicate(msg):
                    return msg
            seen = len(box)
            left = deadline - time.monotonic()
            if left <= 0:
                got = [m["msg_type"] for m in box]
                pytest.fail(f"no {what or 'matching IOPub message'} for {msg_id} within {timeout:g}s: {got}")
            self._pump("iopub", min(left, 0.1))

    def iopub_until_idle(self, msg_id: str, timeout: float = TIMEOUT) -> list[Msg]:
        self.iopub_wait(msg_id, is_idle, timeout, "status idle")
        return list(self.iopub_by_parent[msg_id])

    def iopub_settle(self, duration: float) -> None:
        """Keep reading IOPub for ``duration`` seconds (to catch late or unwanted messages)."""
        end = time.monotonic() + duration
        while (left := end - time.monotonic()) > 0:
            self._pump("iopub", min(left, 0.1))

    def stream_until(self, msg_id: str, text: str, timeout: float = TIMEOUT) -> None:
        """Wait until the stream output parented to ``msg_id`` contains ``text``."""
        box = self.iopub_by_parent[msg_id]
        deadline = time.monotonic() + timeout
        while text not in stream_text(box) + stream_text(box, "stderr"):
            left = deadline - time.monotonic()
            if left <= 0:
                pytest.fail(f"{text!r} not printed by {msg_id} within {timeout:g}s: {stream_text(box)!r}")
            self._pump("iopub", min(left, 0.1))

    # ------------------------------------------------------------ high level
    def request(self, msg_type: str, content: Msg | None = None, channel: str = "shell", **kw: Any) -> Msg:
        """Send a request and return its reply (failing the test if none comes)."""
        timeout = kw.pop("timeout", TIMEOUT)
        return self.reply(self.send(channel, msg_type, content, **kw), channel, timeout)

    def finish(self, msg_id: str, timeout: float = TIMEOUT) -> Executed:
        reply = self.reply(msg_id, "shell", timeout)
        return Executed(msg_id, reply, self.iopub_until_idle(msg_id, timeout))

    def execute(self, code: str, timeout: float = TIMEOUT, **content: Any) -> Executed:
        return self.finish(self.execute_request(code, **content), timeout)

    def run(self, code: str, timeout: float = TIMEOUT, **content: Any) -> Executed:
        """Execute ``code`` and fail the test unless it succeeds."""
        done = self.execute(code, timeout, **content)
        assert done.status == "ok", f"cell failed: {done.describe()}\n{done.content.get('traceback')}"
        return done

    def value(self, expression: str) -> str:
        """The text/plain repr of ``expression`` in the kernel."""
        return self.run(expression).result

    def kernel_info(self, channel: str = "shell") -> Msg:
        return self.request("kernel_info_request", channel=channel)["content"]

    def wait_for_iopub(self, timeout: float = TIMEOUT) -> None:
        """Wait until IOPub delivers (the SUB socket joins late): a request's busy status arrives."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg_id = self.send("shell", "kernel_info_request")
            self.reply(msg_id)
            box = self.iopub_by_parent[msg_id]
            end = time.monotonic() + 0.5
            while not box and time.monotonic() < end:
                self._pump("iopub", 0.05)
            if box:
                self.iopub_until_idle(msg_id)
                return
        pytest.fail(f"IOPub delivered nothing within {timeout:g}s")


class RunningKernel(RoutingClient):
    """A kernel process started by a ``KernelManager``, with a routing client connected to it."""

    def __init__(
        self,
        log_path: Path,
        kernel_name: str = "braid",
        extra_arguments: list[str] | None = None,
        env: dict[str, str] | None = None,
        **km_kwargs: Any,
    ) -> None:
        self.log_path = log_path
        # The connection file goes in the (private) runtime dir, as jupyter_server does it; without
        # one, jupyter_client would write it to the system temp dir.
        connection_file = Path(jupyter_runtime_dir()) / f"kernel-{uuid.uuid4()}.json"
        self.km = KernelManager(kernel_name=kernel_name, connection_file=str(connection_file), **km_kwargs)
        self._log = log_path.open("wb")
        try:
            launch: dict[str, Any] = {"env": env} if env is not None else {}
            self.km.start_kernel(
                stdout=self._log, stderr=self._log, extra_arguments=extra_arguments or [], **launch
            )
        except BaseException:
            self._log.close()
            raise
        STARTED_PIDS.add(self.pid)
        try:
            kc = self._connect()
        except BaseException as exc:
            self.km.shutdown_kernel(now=True)
            self._log.close()
            raise RuntimeError(f"kernel did not start; its log:\n{self.log_text()}") from exc
        super().__init__(kc)

    def _connect(self) -> BlockingKernelClient:
        kc = self.km.client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=STARTUP_TIMEOUT)
        except BaseException:
            kc.stop_channels()
            raise
        return kc

    def reconnect(self) -> None:
        """A new client after a restart: fresh channels and routing tables."""
        self.kc.stop_channels()
        super().__init__(self._connect())
        self.wait_for_iopub()

    @property
    def pid(self) -> int:
        return self.km.provisioner.process.pid  # type: ignore[union-attr]

    def is_alive(self) -> bool:
        return self.km.is_alive()

    def wait_for_exit(self, timeout: float = TIMEOUT) -> bool:
        deadline = time.monotonic() + timeout
        while self.km.is_alive():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, pattern: str, timeout: float = 5.0) -> str:
        """The first line of the kernel's stdout/stderr matching ``pattern`` (a regex, any case)."""
        regex = re.compile(pattern, re.IGNORECASE)
        deadline = time.monotonic() + timeout
        while True:
            for line in self.log_text().splitlines():
                if regex.search(line):
                    return line
            if time.monotonic() > deadline:
                pytest.fail(f"no log line matching {pattern!r} within {timeout:g}s; log:\n{self.log_text()}")
            time.sleep(0.05)

    def connection_endpoint(self, channel: str) -> str:
        info = self.km.get_connection_info()
        return f"{info['transport']}://{info['ip']}:{info[f'{channel}_port']}"

    def heartbeat_echo(self, timeout: float = 5.0) -> bool:
        """Ping the heartbeat with a fresh REQ socket; True when the bytes come back."""
        sock = zmq.Context.instance().socket(zmq.REQ)
        sock.linger = 0
        try:
            sock.connect(self.connection_endpoint("hb"))
            payload = f"ping-{time.monotonic()}".encode()
            sock.send(payload)
            if not sock.poll(int(timeout * 1000)):
                return False
            return sock.recv() == payload
        finally:
            sock.close()

    def close(self) -> None:
        """Stop the client and make sure the process is gone (kill it if it does not exit)."""
        try:
            self.kc.stop_channels()
        finally:
            try:
                if self.km.has_kernel:
                    self.km.shutdown_kernel(now=not self.km.is_alive())
            except Exception:
                self.km.shutdown_kernel(now=True)
            finally:
                self._log.close()


class RawChannel:
    """A bare DEALER socket on one of a kernel's channels, signing with ``key``.

    For crafting frames by hand: :meth:`frames` signs a message exactly as jupyter_client would,
    and a test may then tamper with the frames before :meth:`send_frames`.
    """

    def __init__(
        self,
        kernel: RunningKernel,
        channel: str = "shell",
        key: bytes | None = None,
        curve_serverkey: bytes | None = None,
    ) -> None:
        self.session = Session(
            key=kernel.km.session.key if key is None else key,
            signature_scheme=kernel.km.session.signature_scheme,
        )
        self.sock = zmq.Context.instance().socket(zmq.DEALER)
        self.sock.linger = 0
        if curve_serverkey is not None:
            public, secret = zmq.curve_keypair()
            self.sock.curve_publickey, self.sock.curve_secretkey = public, secret
            self.sock.curve_serverkey = curve_serverkey
        self.sock.connect(kernel.connection_endpoint(channel))
        self.received: list[Msg] = []

    def message(self, msg_type: str, content: Msg) -> Msg:
        return self.session.msg(msg_type, content)

    def frames(self, msg: Msg) -> list[bytes]:
        """``[<IDS|MSG>, signature, header, parent, metadata, content]`` as jupyter_client sends them."""
        return self.session.serialize(msg)

    def send_frames(self, frames: list[bytes]) -> None:
        self.sock.send_multipart(frames)

    def send(self, msg_type: str, content: Msg) -> str:
        msg = self.message(msg_type, content)
        self.send_frames(self.frames(msg))
        return msg["header"]["msg_id"]

    def collect(self, duration: float) -> list[Msg]:
        """Every message received within ``duration`` seconds (also kept in ``received``)."""
        end = time.monotonic() + duration
        while (left := end - time.monotonic()) > 0:
            if self.sock.poll(int(left * 1000) + 1):
                self._receive()
        return self.received

    def replies_to(self, msg_id: str) -> list[Msg]:
        return [m for m in self.received if m["parent_header"].get("msg_id") == msg_id]

    def wait_reply(self, msg_id: str, timeout: float = TIMEOUT) -> Msg | None:
        end = time.monotonic() + timeout
        while not self.replies_to(msg_id):
            left = end - time.monotonic()
            if left <= 0:
                return None
            if self.sock.poll(int(left * 1000) + 1):
                self._receive()
        return self.replies_to(msg_id)[0]

    def _receive(self) -> None:
        frames = self.sock.recv_multipart()
        _, msg_frames = self.session.feed_identities(frames)
        self.received.append(self.session.deserialize(msg_frames))

    def close(self) -> None:
        self.sock.close()
