"""Serving JEP 91 subshells: each on its own thread, sharing the main namespace or isolated.

:class:`~braid_kernel.routing.subshells.SubshellManager` (core routing: subshells are part of the
protocol) starts a thread per subshell and calls :meth:`Subshells.serve` there.  Each subshell is
a shell built like the main one (its own scheduler and execution count) and shares the main
namespace, unless created isolated: then it runs with its own
:class:`~braid_kernel.shell.namespaces.IsolatedNamespace` (variables, ``In``/``Out``, input
history, completer).  A shared subshell's comm messages are handled on the main loop
(:mod:`.comm_forward`).  Interrupts reach each subshell through its loop (awaiting cells are
cancelled) and, when its thread runs cell code,
:class:`~braid_kernel.engine.threadinterrupt.ThreadInterrupts`.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

import anyio

from braid_kernel.engine.cell import ErrorInfo
from braid_kernel.engine.scheduler import INTERRUPTED, Scheduler
from braid_kernel.engine.threadinterrupt import ThreadInterrupts
from braid_kernel.features.subshells.comm_forward import forward_to_main
from braid_kernel.routing.dispatch import AsyncDispatcher, Handler
from braid_kernel.routing.inbox import ShellInbox
from braid_kernel.routing.loopbridge import LoopBridge
from braid_kernel.routing.publisher import Publisher
from braid_kernel.shell.ipshell import ZMQInteractiveShell
from braid_kernel.shell.namespaces import IsolatedNamespace
from braid_kernel.wire.message import COMM_MESSAGES

DELETED = "the subshell was deleted"
_DELETED_ERROR = ErrorInfo("KeyboardInterrupt", DELETED, [f"\x1b[0;31mKeyboardInterrupt\x1b[0m: {DELETED}"])

Serve = Callable[[str, ShellInbox], Awaitable[None]]


class MainShell(Protocol):
    """What subshells need of the kernel's shells (:class:`braid_kernel.app.shells.ShellFactory`)."""

    def build(
        self, main: bool, namespace: IsolatedNamespace | None = None
    ) -> tuple[Scheduler, dict[str, Handler]]:
        """A shell's scheduler and request handlers, built as the main shell's are."""
        ...

    def main_bridge(self) -> LoopBridge | None:
        """The main shell's loop, while it serves."""
        ...

    def main_blocked(self) -> bool:
        """Whether the main thread runs a cell's synchronous code right now."""
        ...

    def runs_cell_code(self, thread: threading.Thread) -> bool:
        """Whether ``thread`` is inside a cell's code right now (blocking or computing)."""
        ...


class _Running:
    """A serving subshell: what an interrupt or a stop needs to reach it."""

    def __init__(self, bridge: LoopBridge, scheduler: Scheduler, scope: anyio.CancelScope) -> None:
        self.bridge = bridge
        self.scheduler = scheduler
        self.scope = scope
        self.thread = threading.current_thread()


class Subshells:
    """Serves the kernel's subshells.

    ``isolated(requested)``: whether a create_subshell_request's ``namespace`` field (None: not
    given) asks for an isolated subshell (ValueError for a value it does not know)."""

    def __init__(
        self,
        main: MainShell,
        *,
        shell: ZMQInteractiveShell,
        publisher: Publisher,
        thread_interrupts: ThreadInterrupts,
        isolated: Callable[[object], bool],
    ) -> None:
        self._main = main
        self._shell = shell
        self._publisher = publisher
        self._threads = thread_interrupts
        self._isolated = isolated
        self._running: dict[str, _Running] = {}

    async def serve(self, sid: str, inbox: ShellInbox, *, isolated: bool = False) -> None:
        """Serve one subshell (on its own thread) until it is deleted; with
        ``isolated``, in a namespace of its own."""
        namespace = None
        if isolated:
            session = getattr(self._shell.history_manager, "session_number", 0)
            namespace = IsolatedNamespace(self._shell, session=int(session or 0))
        scheduler, handlers = self._main.build(main=False, namespace=namespace)
        if namespace is None:  # the notebook's comms: their callbacks run on the main loop when it is free
            for name in COMM_MESSAGES:
                handlers[name] = forward_to_main(
                    handlers[name], self._main.main_bridge, self._main.main_blocked
                )
        dispatcher = AsyncDispatcher(self._publisher, handlers)
        with anyio.CancelScope() as scope, self._threads.registered():
            self._running[sid] = _Running(inbox.bridge, scheduler, scope)
            try:
                if namespace is None:
                    await dispatcher.serve(inbox.receive)
                else:
                    with namespace.activated():  # every request task inherits it
                        await dispatcher.serve(inbox.receive)
            finally:
                self._running.pop(sid, None)

    def server(self, namespace: object = None) -> Serve:
        """How to serve a new subshell whose create_subshell_request asked for ``namespace``
        (``"shared"``, ``"isolated"``, or None for the kernel's ``--subshell-namespace``);
        ValueError for anything else."""
        return functools.partial(self.serve, isolated=self._isolated(namespace))

    def cancel(self, sid: str) -> None:
        """End the cells a subshell runs or queues because it is being deleted
        (any thread): each gets an error or aborted reply."""
        running = self._running.get(sid)
        if running is not None:
            self._interrupt(running, _DELETED_ERROR, DELETED)

    def interrupt(self, at: float | None = None) -> None:
        """Interrupt every subshell (any thread): the cells whose requests arrived by ``at``
        (time.monotonic(), default now)."""
        at = time.monotonic() if at is None else at
        for running in list(self._running.values()):
            self._interrupt(running, at=at)

    def _interrupt(
        self, running: _Running, error: ErrorInfo | None = None, reason: str = "", at: float | None = None
    ) -> None:
        """Cancel a subshell's awaiting cells; KeyboardInterrupt in its thread
        if that runs cell code right now (blocking or computing) of a cell whose
        request arrived by ``at`` (default now; later requests are not aborted)."""
        at = time.monotonic() if at is None else at
        running.bridge.call_soon(lambda: running.scheduler.interrupt(error or INTERRUPTED, at))
        if self._main.runs_cell_code(running.thread) and running.scheduler.running_by(at):
            self._threads.interrupt(running.thread, reason)
