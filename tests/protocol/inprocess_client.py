"""The protocol tests' client for an in-process kernel: the same API as a kernel process.

:class:`InProcessRunning` is a :class:`~tests.protocol.kernel_client.RoutingClient` whose
``kc`` is not a jupyter_client ``BlockingKernelClient`` but :class:`InProcessKC`, an object with
the few parts of one the tests use (``session.msg``, ``<channel>_channel.send``,
``get_<channel>_msg``, ``input``).  Behind it, an :class:`~braid_kernel.InProcessKernel` runs on an
event loop in a thread of its own (an anyio blocking portal: the test is synchronous), and the test
thread calls the kernel's callback form directly — ``Connection.handle_message`` in, the ``send``
callback out — just as the ZeroMQ I/O thread feeds a kernel process.  ``input()`` in a cell goes
through the connection's input handler, which hands the ``input_request`` to the test and waits for
the answer it sends on the stdin channel.

The kernel starts on first use, inside the test's own call phase: pytest's output capture swaps
``sys.stdout`` between the setup and call phases, which would undo the kernel's stream hooks if it
started in a fixture.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from typing import Any

from anyio.from_thread import BlockingPortal, start_blocking_portal
from jupyter_client.session import Session

from braid_kernel import InProcessKernel, Mode
from braid_kernel.app.inprocess import Connection
from tests.protocol.kernel_client import TIMEOUT, Msg, RoutingClient

# kernelspec name -> (modes, anyio backend), for the kernels the protocol tests ask for by name
KERNELS: dict[str, tuple[Mode, str]] = {
    "braid": (Mode(0), "asyncio"),
    "braid-concurrent": (Mode.CONCURRENT, "asyncio"),
    "braid-trio": (Mode(0), "trio"),
    "braid-concurrent-trio": (Mode.CONCURRENT, "trio"),
}
_CLOSED = object()


class _Channel:
    def __init__(self, kc: InProcessKC, name: str) -> None:
        self._kc, self._name = kc, name

    def send(self, msg: Msg) -> None:
        self._kc.send(self._name, msg)


class InProcessKC:
    """What the tests use of a ``BlockingKernelClient``, for an in-process kernel."""

    def __init__(self, kernel_name: str = "braid") -> None:
        self.modes, self.backend = KERNELS[kernel_name]
        self.session = Session(key=b"")
        self._inbox: dict[str, queue.Queue[Msg]] = {
            c: queue.Queue() for c in ("shell", "control", "stdin", "iopub")
        }
        self._answers: queue.Queue[object] = queue.Queue()
        self._stack = contextlib.ExitStack()
        self._lock = threading.Lock()
        self._portal: BlockingPortal | None = None
        self._connection: Connection | None = None
        self.kernel: InProcessKernel | None = None
        self.shell_channel = _Channel(self, "shell")
        self.control_channel = _Channel(self, "control")
        self.stdin_channel = _Channel(self, "stdin")

    # ------------------------------------------------------------ lifecycle
    def _started(self) -> Connection:
        with self._lock:
            if self._connection is None:
                self._portal = self._stack.enter_context(start_blocking_portal(self.backend))
                self.kernel = self._stack.enter_context(
                    self._portal.wrap_async_context_manager(InProcessKernel(self.modes, self.backend))
                )
                self._connection = self._portal.call(self._connect)
            return self._connection

    def _connect(self) -> Connection:
        assert self.kernel is not None
        return self.kernel.connect(self._on_message, input_handler=self._input)

    def close(self) -> None:
        self._answers.put(_CLOSED)
        self._stack.close()

    # ------------------------------------------------------------ messages
    def send(self, channel: str, msg: Msg) -> None:
        if channel == "stdin" and msg["msg_type"] == "input_reply":
            self._answers.put(msg["content"].get("value", ""))
            return
        self._started().handle_message(msg, channel)

    def input(self, value: str) -> None:
        self._answers.put(value)

    def _on_message(self, msg: Msg) -> None:
        self._inbox[msg["channel"]].put(msg)

    def _input(self, request: Msg) -> str:
        """The connection's input handler: runs on the cell's thread until the test answers."""
        self._inbox["stdin"].put(request)
        answer = self._answers.get(timeout=TIMEOUT * 3)
        if answer is _CLOSED:
            raise EOFError("the test ended before answering input()")
        return str(answer)

    def _get(self, channel: str, timeout: float | None) -> Msg:
        self._started()
        return self._inbox[channel].get(timeout=timeout)

    def get_shell_msg(self, timeout: float | None = None) -> Msg:
        return self._get("shell", timeout)

    def get_control_msg(self, timeout: float | None = None) -> Msg:
        return self._get("control", timeout)

    def get_stdin_msg(self, timeout: float | None = None) -> Msg:
        return self._get("stdin", timeout)

    def get_iopub_msg(self, timeout: float | None = None) -> Msg:
        return self._get("iopub", timeout)

    def stop_channels(self) -> None:
        """Nothing to stop: the kernel is closed by :meth:`close`."""


class InProcessRunning(RoutingClient):
    """An in-process kernel with the :class:`~tests.protocol.kernel_client.RunningKernel` API
    the transport-independent protocol tests use."""

    transport = "inprocess"

    def __init__(self, kernel_name: str = "braid", **unsupported: Any) -> None:
        if unsupported:
            raise TypeError(f"options of a kernel process have no in-process meaning: {sorted(unsupported)}")
        self.kernel_name = kernel_name
        super().__init__(InProcessKC(kernel_name))  # type: ignore[arg-type]

    @property
    def inprocess(self) -> InProcessKC:
        kc: InProcessKC = self.kc  # type: ignore[assignment]
        return kc

    def is_alive(self) -> bool:
        kernel = self.inprocess.kernel
        return kernel is None or not kernel.stopped

    def wait_for_exit(self, timeout: float = TIMEOUT) -> bool:
        deadline = time.monotonic() + timeout
        while self.is_alive():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def wait_for_iopub(self, timeout: float = TIMEOUT) -> None:
        """Nothing to wait for: an in-process client receives IOPub from its first request."""
        del timeout

    def close(self) -> None:
        self.inprocess.close()
