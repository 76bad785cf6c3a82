"""The shells of a kernel: the main one, and how every shell is built.

Each shell is a dispatcher serving an inbox on an event loop, with its own
scheduler and execution count.  The main shell runs on the main thread;
subshells, built by :meth:`ShellFactory.build` too, are served by the subshells feature
(:mod:`braid_kernel.features.subshells`) on their own threads.

The main shell keeps the features' parts of a serving shell (reactive mode's ``braid.dataflow``
comm target: :class:`~braid_kernel.features.base.ShellPart`).  In multi mode it serves many
client sessions instead, each isolated, through the multi feature's
:class:`~braid_kernel.features.base.Sessions`: its requests are routed by the header's
``session`` and an interrupt_request reaches the sender's session only.

:class:`MainLoop` is what ``kernel.io_loop.add_callback`` reaches: built before the IPython
shell (whose ``kernel`` facade calls it), told by :meth:`ShellFactory.serve_main` when the main
shell serves.

Interrupts reach the main thread through SIGINT
(:class:`~braid_kernel.engine.interrupt.Interrupter`), or, in-process, its loop (awaiting cells
are cancelled).
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import logging
import sys
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any

import anyio
import sniffio
from anyio.abc import TaskGroup

from braid_kernel.app.config import KernelConfig
from braid_kernel.app.engines import Engines
from braid_kernel.app.shutdown import Shutdown
from braid_kernel.engine.cellfiles import CellFiles
from braid_kernel.engine.execute import ExecuteHandler
from braid_kernel.engine.interrupt import Interrupter
from braid_kernel.engine.scheduler import Scheduler
from braid_kernel.features.base import Sessions, ShellPart, Starter
from braid_kernel.integrations.comms import CommService
from braid_kernel.routing.context import Request
from braid_kernel.routing.dispatch import AsyncDispatcher, Handler, Reply
from braid_kernel.routing.inbox import ShellInbox
from braid_kernel.routing.loopbridge import LoopBridge
from braid_kernel.routing.publisher import Publisher
from braid_kernel.routing.router import ShellRegistry
from braid_kernel.shell.host import IPythonHost
from braid_kernel.shell.ipshell import ZMQInteractiveShell
from braid_kernel.shell.namespaces import IsolatedNamespace
from braid_kernel.shell.requests import ShellRequests

log = logging.getLogger("braid_kernel")


class _Main:
    """The serving main shell.  ``cancel_cells(at)`` cancels the awaiting and queued cells whose
    requests arrived by ``at``: its scheduler's, or in multi mode every session's (the main
    shell then has no engine of its own)."""

    def __init__(
        self, bridge: LoopBridge, scope: anyio.CancelScope, cancel_cells: Callable[[float], None]
    ) -> None:
        self.bridge = bridge
        self.scope = scope
        self.cancel_cells = cancel_cells
        self.thread = threading.current_thread()
        self.tasks: TaskGroup | None = None  # for kernel.io_loop callbacks


class MainLoop:
    """The main shell's loop, while it serves (``running``, set by :meth:`ShellFactory.serve_main`)."""

    def __init__(self) -> None:
        self.running: _Main | None = None

    def call_on_main(self, callback: Callable[..., object], *args: object, **kwargs: object) -> None:
        """``kernel.io_loop.add_callback``: call ``callback(*args, **kwargs)`` soon on the main
        shell's loop (any thread; dropped, with a warning, when the main shell does not serve).
        A coroutine it returns runs as a task of the main shell; errors are logged, as tornado
        logs them.  It runs in the caller's context, so what it prints goes to the caller's cell."""
        running, context = self.running, contextvars.copy_context()
        if running is None or not running.bridge.call_soon(
            lambda: context.run(_call_logged, running, callback, args, kwargs)
        ):
            log.warning("kernel.io_loop.add_callback(%r): the main shell is not running; dropped", callback)


class ShellFactory:
    """Builds and serves shells for one kernel, from the parts the kernel built before it.

    ``main``: the main shell's loop, set while it serves; ``sessions``: multi mode's session
    router (None in other modes); ``interrupter``: a kernel process's SIGINT handling (None
    in-process: interrupts then cancel awaiting cells only);
    ``exit_kernel``: what ``exit()`` in a cell ends (a kernel process; None: it keeps running);
    ``shutdown``: the kernel's end, which stops the main shell."""

    def __init__(
        self,
        config: KernelConfig,
        *,
        shell: ZMQInteractiveShell,
        cell_files: CellFiles,
        publisher: Publisher,
        requests: ShellRequests,
        comms: CommService,
        registry: ShellRegistry,
        engines: Engines,
        main: MainLoop,
        sessions: Sessions | None,
        interrupter: Interrupter | None,
        exit_kernel: Callable[[], None] | None,
        shutdown: Shutdown,
    ) -> None:
        self.config = config
        self.shell = shell
        self.cell_files = cell_files
        self.publisher = publisher
        self.requests = requests
        self.comms = comms
        self.registry = registry
        self.engines = engines
        self.sessions = sessions
        self._interrupter = interrupter
        self._exit_kernel = exit_kernel
        self._shutdown = shutdown
        self._loop = main

    def handlers(self, execute: ExecuteHandler) -> dict[str, Handler]:
        return {
            "execute_request": execute
            if self._exit_kernel is None
            else _exit_after(execute, self._exit_kernel),
            "complete_request": self.requests.complete,
            "inspect_request": self.requests.inspect,
            "history_request": self.requests.history,
            **self.comms.shell_handlers(),
        }

    def build(
        self, main: bool, namespace: IsolatedNamespace | None = None
    ) -> tuple[Scheduler, dict[str, Handler]]:
        """A shell's scheduler and request handlers (its dispatcher is built from them once)."""
        host = IPythonHost(self.shell, self.cell_files, main=main, namespace=namespace)
        scheduler, execute = self.engines.build_isolated(host)
        return scheduler, self.handlers(execute)

    async def serve_main(self, on_ready: Callable[[], None]) -> None:
        """Serve the main shell until shutdown is requested (runs on the main thread); ``on_ready``
        is called on its loop once it takes requests (a transport opens then)."""
        inbox = ShellInbox()
        sessions = self.sessions
        cancel_cells: Callable[[float], None]
        scheduler: Scheduler | None
        if sessions is not None:  # multi mode: each request runs in its client's session's engine
            handlers = sessions.handlers()
            cancel_cells = sessions.interrupt_everyone
            scheduler = None
        else:
            scheduler, handlers = self.build(main=True)
            # Names kept from akernel so its users' notebooks keep working; hidden from %who.
            self.shell.push(self.engines.kernel_names(scheduler), interactive=False)
            cancel_cells = functools.partial(_cancel_cells, scheduler)
        dispatcher = AsyncDispatcher(self.publisher, handlers)
        with anyio.CancelScope() as scope, self._shutdown.stops(lambda: inbox.bridge.call_soon(scope.cancel)):
            self._loop.running = main = _Main(inbox.bridge, scope, cancel_cells)
            if self._interrupter is not None:
                self._interrupter.attach(inbox.bridge, cancel_cells)
            async with anyio.create_task_group() as tg:
                main.tasks = tg
                if scheduler is not None:  # the features' parts of the main shell (comm targets)
                    self._register(self.engines.parts(scheduler, _starter(inbox.bridge, tg)))
                self.registry.add(None, inbox)
                on_ready()
                if sessions is not None:
                    tg.start_soon(sessions.serve_background)
                await dispatcher.serve(inbox.receive)
                tg.cancel_scope.cancel()

    def _register(self, parts: list[ShellPart]) -> None:
        for part in parts:
            for name, opened in part.comm_targets.items():
                self.comms.manager.register_target(name, opened)

    def main_bridge(self) -> LoopBridge | None:
        running = self._loop.running
        return running.bridge if running is not None else None

    def main_blocked(self) -> bool:
        """Whether the main thread runs a cell's synchronous code right now."""
        running = self._loop.running
        return running is not None and self.runs_cell_code(running.thread)

    def runs_cell_code(self, thread: threading.Thread) -> bool:
        """Whether ``thread`` is inside a cell's code right now (blocking or computing)."""
        if self._interrupter is None:
            return False
        return self._interrupter.in_cell_code(sys._current_frames().get(thread.ident or -1))

    @property
    def multi(self) -> bool:
        """Multi mode: an interrupt_request is for the sender's session only (no subshell's)."""
        return self.sessions is not None

    def interrupt(self, request: Request) -> None:
        """An interrupt_request (any thread): in multi mode, the sender's session's cells
        only; otherwise the main shell's (the caller interrupts the subshells too)."""
        at = request.received  # what ran when the interrupt arrived is what it stops
        session = self.sessions.lookup(request) if self.sessions is not None else None
        if self.sessions is None:
            self.interrupt_main(at)
        elif session is not None and (running := self._loop.running) is not None:
            scheduler = session.scheduler
            running.bridge.call_soon(lambda: scheduler.interrupt(at=at))  # its awaiting and queued cells
            if self._interrupter is not None:  # its cell, if one blocks the main thread
                self._interrupter.interrupt(only=session.user_ns, at=at)

    def interrupt_main(self, at: float | None = None) -> None:
        """Interrupt the main shell (any thread): the cells whose requests arrived by ``at``
        (time.monotonic(), default now)."""
        at = time.monotonic() if at is None else at
        if self._interrupter is not None:
            self._interrupter.interrupt(at=at)
        elif (
            running := self._loop.running
        ) is not None:  # no SIGINT handler (in-process): cancel the awaiting cells
            cancel_cells = running.cancel_cells
            running.bridge.call_soon(lambda: cancel_cells(at))


def _exit_after(execute: ExecuteHandler, exit_kernel: Callable[[], None]) -> Handler:
    """``exit()``/``quit()`` end the kernel process once the cell has replied, as in ipykernel 7
    (JupyterLab then restarts it); ``quit(keep_kernel=True)`` keeps it running."""

    async def handle(request: Request) -> Reply:
        reply = await execute(request)
        payloads = reply.content.get("payload") or []
        if any(p.get("source") == "ask_exit" and not p.get("keepkernel") for p in payloads):
            # The stop reaches the loop after this task posts the reply and the idle status.
            exit_kernel()
        return reply

    return handle


def _call_logged(
    running: _Main, callback: Callable[..., object], args: tuple[object, ...], kwargs: dict[str, object]
) -> None:
    """Run an io_loop callback on its loop; await what it returns, if awaitable, in the main shell's tasks."""
    try:
        result = callback(*args, **kwargs)
    except Exception:
        log.exception("kernel.io_loop callback %r failed", callback)
        return
    if inspect.isawaitable(result):
        awaitable = result

        async def finish() -> None:
            try:
                await awaitable
            except Exception:
                log.exception("kernel.io_loop callback %r failed", callback)

        if running.tasks is None:
            log.warning(
                "kernel.io_loop callback %r returned an awaitable before the main shell ran", callback
            )
            return
        running.tasks.start_soon(finish)


def _starter(bridge: LoopBridge, group: TaskGroup) -> Starter:
    """Start a job of a feature's part of the main shell (the dataflow comm's ``run_stale``) in
    the main shell's task group, from any thread: a comm message sent over a subshell is handled
    on that subshell's thread while the main thread blocks.  The task runs in the caller's
    context, so the cells' output has the comm request as parent.  That context also names the
    loop's async library (called here, in a task): the bridge's callback runs in no task, and on
    a loop anyio did not start (an in-process kernel's, Pyodide's in JupyterLite) anyio could not
    tell which one it is."""
    library = sniffio.current_async_library()

    def start(job: Callable[[], Coroutine[Any, Any, object]]) -> None:
        context = contextvars.copy_context()
        context.run(sniffio.current_async_library_cvar.set, library)
        bridge.call_soon(lambda: context.run(group.start_soon, job))

    return start


def _cancel_cells(scheduler: Scheduler, at: float) -> None:
    scheduler.interrupt(at=at)
