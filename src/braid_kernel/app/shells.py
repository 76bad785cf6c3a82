"""The shells of a kernel: the main one and its subshells, built alike.

Each shell is a dispatcher serving an inbox on an event loop, with its own
scheduler and execution count.  The main shell runs on the main thread;
subshells run on their own threads (see
:mod:`braid_kernel.routing.subshells`) and share the main namespace (an
``{"namespace": "isolated"}`` request is recorded but not applied yet).
"""

from __future__ import annotations

import ctypes
import sys
import threading
from typing import TYPE_CHECKING

import anyio

from braid_kernel.engine.execute import ExecuteHandler
from braid_kernel.engine.interrupt import Interrupter
from braid_kernel.engine.modes import Mode
from braid_kernel.engine.runner import CellRunner
from braid_kernel.engine.scheduler import Scheduler
from braid_kernel.routing.dispatch import AsyncDispatcher, Handler
from braid_kernel.routing.inbox import ShellInbox
from braid_kernel.routing.loopbridge import LoopBridge
from braid_kernel.shell.host import IPythonHost

if TYPE_CHECKING:
    from braid_kernel.app.core import KernelCore


class _Running:
    """A serving shell: what an interrupt or a stop needs to reach it."""

    def __init__(self, bridge: LoopBridge, scheduler: Scheduler, scope: anyio.CancelScope) -> None:
        self.bridge = bridge
        self.scheduler = scheduler
        self.scope = scope
        self.thread = threading.current_thread()


class ShellFactory:
    """Builds and serves shells for one kernel."""

    def __init__(self, kernel: KernelCore) -> None:
        self.kernel = kernel
        self._main: _Running | None = None
        self._subshells: dict[str, _Running] = {}
        self._namespaces: dict[str, str] = {}
        self._interrupter: Interrupter | None = None

    def handlers(self, execute: ExecuteHandler) -> dict[str, Handler]:
        k = self.kernel
        return {
            "execute_request": execute,
            "complete_request": k.requests.complete,
            "inspect_request": k.requests.inspect,
            "history_request": k.requests.history,
            **k.comms.shell_handlers(),
        }

    def _build(self, main: bool) -> tuple[Scheduler, AsyncDispatcher]:
        k = self.kernel
        host = IPythonHost(k.shell, k.cell_files, main=main)
        scheduler = Scheduler(CellRunner(host, k.publisher), chained=Mode.CONCURRENT not in k.config.modes)
        dispatcher = AsyncDispatcher(k.publisher, self.handlers(ExecuteHandler(host, scheduler, k.publisher)))
        return scheduler, dispatcher

    async def serve_main(self) -> None:
        """Serve the main shell until the kernel stops (runs on the main thread)."""
        inbox = ShellInbox()
        scheduler, dispatcher = self._build(main=True)
        # Names kept from akernel so its users' notebooks keep working; hidden from %who.
        self.kernel.shell.push(
            {
                "__unchain_execution__": scheduler.unchain,
                "__chain_execution__": scheduler.chain,
                "__task__": scheduler.wait_for,
            },
            interactive=False,
        )
        with anyio.CancelScope() as scope:
            self._main = _Running(inbox.bridge, scheduler, scope)
            if self._interrupter is not None:
                self._interrupter.attach(inbox.bridge, scheduler.interrupt)
            self.kernel.registry.add(None, inbox)
            self.kernel.on_main_shell_ready()
            await dispatcher.serve(inbox.receive)

    async def serve_subshell(self, sid: str, inbox: ShellInbox) -> None:
        scheduler, dispatcher = self._build(main=False)
        with anyio.CancelScope() as scope:
            self._subshells[sid] = _Running(inbox.bridge, scheduler, scope)
            try:
                await dispatcher.serve(inbox.receive)
            finally:
                self._subshells.pop(sid, None)

    def set_namespace(self, sid: str, namespace: str) -> None:
        self._namespaces[sid] = namespace

    def install_interrupts(self) -> None:
        """Take over SIGINT before the event loop starts (main thread)."""
        self._interrupter = Interrupter(self.kernel.cell_files)
        self._interrupter.install()

    def interrupt_all(self) -> None:
        """Interrupt the main shell and every subshell (any thread)."""
        if self._interrupter is not None:
            self._interrupter.interrupt()
        elif self._main is not None:  # no SIGINT handler (in-process): cancel the awaiting cells
            self._main.bridge.call_soon(self._main.scheduler.interrupt)
        for running in list(self._subshells.values()):
            running.bridge.call_soon(running.scheduler.interrupt)
            self._interrupt_thread(running.thread)

    def _interrupt_thread(self, thread: threading.Thread) -> None:
        """KeyboardInterrupt in a subshell thread that runs cell code right now."""
        frame = sys._current_frames().get(thread.ident or -1)
        if self._interrupter is None or not self._interrupter.in_cell_code(frame):
            return
        ctypes.pythonapi.PyThreadState_SetAsyncExc(
            ctypes.c_ulong(thread.ident or 0), ctypes.py_object(KeyboardInterrupt)
        )

    def stop_main(self) -> None:
        """Stop serving the main shell (any thread)."""
        if self._main is not None:
            self._main.bridge.call_soon(self._main.scope.cancel)
