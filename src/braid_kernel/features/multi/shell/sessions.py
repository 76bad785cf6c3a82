"""Multi mode: one kernel process, an isolated session per client connection.

A client connection is known by the ``session`` field of its message headers (its *client
id*).  The main shell's execute, complete, inspect, history and comm requests are served by
:meth:`SessionManager.handlers`: each finds (or creates) the caller's :class:`Session` and runs
the request with that session activated — its
:class:`~braid_kernel.shell.namespaces.IsolatedNamespace` (the same mechanism isolated subshells
use: IPython's code follows it), its comm manager, its scheduler.  So each session has its own
variables, ``In``/``Out`` and history, execution count, chain of cells (chained mode orders a
session's cells, never cells of different sessions), comms, reactive graph and cache scope.
Everything else is shared by the process (see the README: modules, ``os.environ``, the working
directory, threads, and a cell blocking the main thread holds up every session).

Sessions are freed when idle longer than ``--session-idle-timeout``, and a session no client
uses any more (after ``%braid session attach``) is freed once its requests end.

Each session has the features' parts of a serving shell (:class:`~braid_kernel.features.base.ShellPart`:
reactive mode's ``braid.dataflow`` comm serves that session's graph, cache mode's scope follows
its name); a task such a part starts (the dataflow comm's ``run_stale``) runs in the manager's
own task group (:meth:`SessionManager.serve_background`), counted as a request of the session.
The ``%braid session(s)`` commands act on the table through :class:`SessionDirectory`.
"""

from __future__ import annotations

import contextvars
import functools
import gc
import inspect
import logging
import time
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import anyio
from anyio.abc import TaskGroup
from comm.base_comm import BaseComm, CommManager

from braid_kernel.engine.execute import ExecuteHandler
from braid_kernel.engine.scheduler import Scheduler
from braid_kernel.features.base import CommOpened, SessionKit, ShellPart
from braid_kernel.features.multi.engine import (
    Activity,
    MainThreadSampler,
    SessionRow,
    SessionTable,
    estimate_size,
    idle_longer_than,
)
from braid_kernel.integrations.comms import KernelCommManager
from braid_kernel.routing.context import Request, current_request
from braid_kernel.routing.dispatch import Handler, Result
from braid_kernel.shell.host import IPythonHost
from braid_kernel.shell.namespaces import IsolatedNamespace
from braid_kernel.wire.message import COMM_MESSAGES

log = logging.getLogger("braid_kernel.sessions")

SESSION_REQUESTS = ("execute_request", "complete_request", "inspect_request", "history_request")
REAP_EVERY_MAX = 30.0  # seconds between two looks for idle sessions, at most
ID_LENGTH = 8


@dataclass(eq=False)
class Session:
    """One notebook's share of the kernel."""

    key: str  # the client id that created it
    namespace: IsolatedNamespace
    scheduler: Scheduler
    execute: ExecuteHandler
    comms: CommManager
    activity: Activity
    detached: bool = False  # no client uses it any more: freed once its requests end
    handlers: dict[str, Handler] = field(default_factory=dict)
    parts: list[ShellPart] = field(default_factory=list)  # the features' (see ShellPart)

    @property
    def user_ns(self) -> dict[str, Any]:
        return self.namespace.user_ns

    @property
    def short_id(self) -> str:
        return self.key[:ID_LENGTH] or "-"

    @contextmanager
    def activated(self) -> Iterator[None]:
        """Run the current context's code in this session."""
        token = current_session.set(self)
        try:
            with self.namespace.activated():
                yield
        finally:
            current_session.reset(token)


#: The session of the running code (set per request task; cells and their threads inherit it).
current_session: ContextVar[Session | None] = ContextVar("braid_current_session", default=None)


def client_id(request: Request) -> str:
    """Who sent ``request``: its header's ``session`` (empty when missing)."""
    value = request.header.get("session")
    return value if isinstance(value, str) else ""


def new_table() -> SessionTable[Session]:
    """The table of a multi-mode kernel's sessions (built first: the comm scope reads it)."""
    return SessionTable()


class SessionComms:
    """Multi mode's :class:`~braid_kernel.integrations.comms.CommScope`: each session's comms."""

    def __init__(self, table: SessionTable[Session]) -> None:
        self.table = table

    def current(self) -> CommManager | None:
        session = current_session.get()
        return session.comms if session is not None else None

    def of_request(self, request: Request) -> CommManager | None:
        session = self.table.get(client_id(request))
        return session.comms if session is not None else None


class SessionManager:
    """The sessions of a multi-mode kernel: the main shell's
    :class:`~braid_kernel.features.base.Sessions`.

    Sessions are created and freed on the main loop; lookups (comm_info on the I/O thread,
    interrupts on the control thread) may come from any thread.  ``kit.comms`` must be built
    with a :class:`SessionComms` scope over ``table``; each session's engine is made by
    ``kit.engines`` (the kernel's recipe for every shell, which also puts the kernel's names,
    ``__task__``, ``run_on``..., in the session's namespace).
    """

    def __init__(self, table: SessionTable[Session], idle_timeout: float | None, kit: SessionKit) -> None:
        """``idle_timeout``: seconds after which an idle session is freed (None: never)."""
        self.idle_timeout = idle_timeout
        self.shell = kit.shell
        self.cell_files = kit.cell_files
        self.requests = kit.requests
        self.comms = kit.comms
        self.engines = kit.engines
        self.table = table
        self._targets: set[str] = set()  # the comm targets registered for the sessions' parts
        self._sampler: MainThreadSampler | None = None
        self._tasks: TaskGroup | None = None  # the sessions' own work (stale runs), while serving

    # ------------------------------------------------------------ sessions
    def lookup(self, request: Request) -> Session | None:
        """The session of the client that sent ``request``, if it has one (any thread)."""
        return self.table.get(client_id(request))

    def session_for(self, request: Request) -> Session:
        """The caller's session, created on its first request (main loop)."""
        client = client_id(request)
        session = self.table.get(client)
        if session is None:
            session = self._create(client)
            self.table.add(client, session)
            log.info("session %s created (%d sessions)", session.short_id, len(self.table))
        return session

    def _create(self, client: str) -> Session:
        shell, requests = self.shell, self.requests
        history_session = int(getattr(shell.history_manager, "session_number", 0) or 0)
        namespace = IsolatedNamespace(shell, session=history_session)
        host = IPythonHost(shell, self.cell_files, main=False, namespace=namespace)
        scheduler, execute = self.engines.build_isolated(host, client)
        comms = KernelCommManager()
        comms.targets = (
            self.comms.manager.targets
        )  # targets are process-wide, like the modules registering them
        activity = Activity.starting(_now())
        session = Session(client, namespace, scheduler, execute, comms, activity)
        session.parts = self.engines.parts(scheduler, functools.partial(self._start, session))
        for part in session.parts:
            for name in part.comm_targets:
                self._register_target(name)
        session.handlers = {
            "execute_request": execute,
            "complete_request": requests.complete,
            "inspect_request": requests.inspect,
            "history_request": requests.history,
            **self.comms.shell_handlers(),
        }
        return session

    def free(self, session: Session) -> None:
        """Forget ``session`` and drop what it holds (main loop; its cells have ended)."""
        self.table.remove(session)
        for comm in list(session.comms.comms.values()):
            try:
                comm.close()  # tells the frontend, if it is still there
            except Exception:
                log.debug("closing comm %s of a freed session failed", comm.comm_id, exc_info=True)
        session.comms.comms.clear()
        session.namespace.reset()  # break the cycles through functions' globals now
        session.namespace.user_ns.clear()
        for part in session.parts:
            if part.close is not None:
                part.close()
        log.info("session %s freed (%d sessions left)", session.short_id, len(self.table))

    # ------------------------------------------------------------ requests
    def handlers(self) -> dict[str, Handler]:
        """The main shell's handlers for the requests that belong to a session."""

        def route(msg_type: str) -> Handler:
            async def handle(request: Request) -> Result:
                return await self._handle(msg_type, request)

            return handle

        return {msg_type: route(msg_type) for msg_type in (*SESSION_REQUESTS, *COMM_MESSAGES)}

    async def _handle(self, msg_type: str, request: Request) -> Result:
        session = self.session_for(request)
        activity = session.activity
        activity.begin(_now())
        if msg_type == "execute_request":
            activity.cells_run += 1
        try:
            with session.activated():
                if msg_type in ("comm_msg", "comm_close") and not self._owns_comm(session, request):
                    return None
                result = session.handlers[msg_type](request)
                if inspect.isawaitable(result):
                    result = await result
                return result
        finally:
            activity.end(_now())
            if session.detached and activity.requests == 0:
                self.free(session)

    def _owns_comm(self, session: Session, request: Request) -> bool:
        comm_id = request.field("comm_id")
        if not isinstance(comm_id, str) or comm_id in session.comms.comms:
            return True  # the comm package reports unknown or malformed ids itself
        owner = next((s for s in self.table.sessions() if comm_id in s.comms.comms), None)
        if owner is None:
            return True
        log.warning(
            "%s from session %s for comm %s of session %s: ignored (comms are per session)",
            request.msg_type,
            session.short_id,
            comm_id,
            owner.short_id,
        )
        return False

    def _register_target(self, name: str) -> None:
        """A comm target of the sessions' parts (once): it answers from the opening session's."""
        if name in self._targets:
            return
        self._targets.add(name)

        def opened(comm: BaseComm, msg: dict[str, Any]) -> None:
            session = current_session.get()
            target = _target_of(session, name) if session is not None else None
            if target is None:
                raise RuntimeError(f"the comm target {name!r} is only available to a session")
            target(comm, msg)

        self.comms.manager.register_target(name, opened)

    def _start(self, session: Session, job: Callable[[], Coroutine[Any, Any, object]]) -> None:
        """A part of the session starts ``job`` (the dataflow comm's ``run_stale``; main loop):
        it runs as a task of the sessions, in the caller's context (the comm request's: output
        is parented to it)."""
        tasks = self._tasks
        if tasks is None:
            raise RuntimeError("the kernel does not serve sessions (it is starting or stopping)")
        contextvars.copy_context().run(tasks.start_soon, self._run, session, job)

    async def _run(self, session: Session, job: Callable[[], Coroutine[Any, Any, object]]) -> None:
        activity = session.activity
        activity.begin(_now())
        try:
            with session.activated():
                await job()
        except Exception:  # never take the manager's task group (and the kernel) down with it
            log.exception("session %s: %r failed", session.short_id, job)
        finally:
            activity.end(_now())
            if session.detached and activity.requests == 0:
                self.free(session)

    # ------------------------------------------------------------ interrupts
    def interrupt_everyone(self, at: float) -> None:
        """Cancel the awaiting cells of every session (a raw SIGINT arrived ``at``; main loop)."""
        for session in self.table.sessions():
            session.scheduler.interrupt(at=at)

    # ------------------------------------------------------------ background work
    async def serve_background(self) -> None:
        """Watch the main thread, free idle sessions and run the sessions' stale runs until
        cancelled (main loop)."""
        self._sampler = MainThreadSampler(self._sampled_owner, self.cell_files.is_cell)
        self._sampler.start()
        try:
            async with anyio.create_task_group() as tasks:
                self._tasks = tasks
                timeout = self.idle_timeout
                if timeout is None:
                    await anyio.sleep_forever()
                    return
                period = max(0.05, min(timeout / 4, REAP_EVERY_MAX))
                while True:
                    await anyio.sleep(period)
                    self.reap(timeout)
        finally:
            self._tasks = None
            self._sampler.stop()

    def reap(self, timeout: float) -> list[Session]:
        """Free the sessions idle longer than ``timeout`` seconds; returns them."""
        sessions = self.table.sessions()
        idle = idle_longer_than({s: s.activity for s in sessions}, timeout, _now())
        idle = [s for s in idle if not s.scheduler.running_counts()]
        for session in idle:
            log.info("session %s idle for more than %gs", session.short_id, timeout)
            self.free(session)
        if idle:
            gc.collect()
        return idle

    def _sampled_owner(self, namespace: dict[str, Any]) -> tuple[Activity, str] | None:
        for session in self.table.sessions():
            if session.namespace.user_ns is namespace:
                name = self.table.name_of(session)
                return session.activity, session.short_id + (f" ({name})" if name else "")
        return None


class SessionDirectory:
    """``%braid session(s)``'s ``SessionControl``: each command acts on the calling cell's session
    in ``table``."""

    def __init__(self, table: SessionTable[Session]) -> None:
        self.table = table

    def _caller(self) -> Session:
        session = current_session.get()
        if session is None:
            raise ValueError("only available inside a cell of a session")
        return session

    def rows(self) -> list[SessionRow]:
        caller = current_session.get()
        now = _now()
        rows = []
        for session in self.table.sessions():
            namespace = session.namespace
            values = [v for k, v in namespace.user_ns.items() if k not in namespace.hidden]
            activity = session.activity
            rows.append(
                SessionRow(
                    id=session.short_id,
                    name=self.table.name_of(session),
                    clients=len(self.table.clients(session)),
                    cells_run=activity.cells_run,
                    running=tuple(session.scheduler.running_counts()),
                    idle=activity.idle_for(now),
                    held=activity.held,
                    holding_now=activity.holding_since is not None,
                    memory=estimate_size([*values, namespace.outputs]),
                    caller=session is caller,
                )
            )
        return rows

    def name_current(self, name: str) -> str:
        session = self._caller()
        holder = self.table.set_name(session, name)
        if holder is not None:
            raise ValueError(
                f"the name {name!r} belongs to session {holder.short_id}: attach to it with "
                f"%braid session attach {name}, or choose another name"
            )
        for part in session.parts:  # cache mode: a named session finds its entries after a reconnect
            if part.named is not None:
                part.named(name)
        return f"this session is now named {name!r}: reconnect to it with %braid session attach {name}"

    def attach_current(self, name: str) -> str:
        session = self._caller()
        target = self.table.named(name)
        if target is None:
            named = sorted(filter(None, (self.table.name_of(s) for s in self.table.sessions())))
            raise ValueError(f"no session is named {name!r} (named sessions: {', '.join(named) or 'none'})")
        if target is session:
            return f"already in session {name!r}"
        request = current_request.get()
        client = client_id(request) if request is not None else session.key
        self.table.bind(client, target)
        if not self.table.clients(session) and self.table.name_of(session) is None:
            session.detached = True  # freed when this cell ends
        count = target.execute.counter.value
        return (
            f"attached to session {name!r}: {target.activity.cells_run} cells run there, "
            f"the next cell is [{count + 1}]"
        )

    def reset_current(self) -> str:
        session = self._caller()
        session.namespace.reset()
        session.execute.counter.value = 0
        for part in session.parts:  # reactive mode: forget the dataflow graph
            if part.reset is not None:
                part.reset()
        return "session reset: variables, history, execution count and dataflow graph cleared"


def _target_of(session: Session, name: str) -> CommOpened | None:
    return next((p.comm_targets[name] for p in session.parts if name in p.comm_targets), None)


def _now() -> float:
    return time.monotonic()
