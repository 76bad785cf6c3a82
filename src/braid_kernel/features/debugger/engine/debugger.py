"""The kernel side of JupyterLab's visual debugger.

:class:`Debugger` answers the ``debug_request`` messages of the control
channel.  Requests only the kernel can answer (the Jupyter extensions, the
namespace view) are answered here; the rest of the Debug Adapter Protocol is
relayed to pydevd, debugpy's debugger, which debugs this very process; the
connection to it is the kernel's alone (see :mod:`.server`).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import threading
from collections.abc import Callable
from typing import Any

import braid_kernel.features.debugger.engine.requests as req  # not `from . import`: that imports the package
from braid_kernel.engine.cellfiles import CellFiles
from braid_kernel.routing import platform

from .adapter import Message
from .errors import DebuggerError
from .server import LOCALHOST
from .session import Session
from .stopped import StoppedThreads
from .threads import untraced
from .variables import VariableTable, is_internal_name, short_repr, type_name

_log = logging.getLogger(__name__)
_CLOSE_TIMEOUT = 2.0


class Debugger:
    """Answers DAP requests for one kernel process; see :meth:`handle`.

    ``send_event(event)`` publishes a DAP event as ``debug_event`` (called
    from the adapter reader thread); ``cell_files`` names cells as JupyterLab
    does; ``user_namespace()`` returns the user globals; ``rich_repr(obj)``
    returns a ``(data, metadata)`` mime bundle.  ``just_my_code`` is the
    default for ``attach`` requests that do not set it; ``timeout`` bounds
    every wait for the adapter, in seconds.
    """

    def __init__(
        self,
        *,
        send_event: Callable[[dict[str, Any]], None],
        cell_files: CellFiles,
        user_namespace: Callable[[], dict[str, Any]],
        rich_repr: Callable[[Any], tuple[dict[str, Any], dict[str, Any]]],
        just_my_code: bool = True,
        timeout: float = 30.0,
        host: str = LOCALHOST,
    ) -> None:
        self._send_event = send_event
        self._cell_files = cell_files
        self._user_namespace = user_namespace
        self._rich_repr = rich_repr
        self._just_my_code = just_my_code
        self._timeout = timeout
        self._host = host
        self._seq = itertools.count(1)
        self._lifecycle = threading.RLock()  # initialize / attach / disconnect / close
        self._state = threading.Lock()  # guards _breakpoints and _sources
        self._session: Session | None = None
        self._active = False  # a frontend has the debugger on
        self._breakpoints: dict[str, list[dict[str, Any]]] = {}
        self._sources: set[str] = set()  # every source the frontend set breakpoints in
        self._stopped = StoppedThreads()
        self._table = VariableTable()
        self._handlers: dict[str, Callable[[Message], Message]] = {
            "initialize": self._initialize,
            "attach": self._attach,
            "configurationDone": self._configuration_done,
            "disconnect": self._disconnect,
            "continue": self._continue,
            "debugInfo": self._debug_info,
            "dumpCell": self._dump_cell,
            "setBreakpoints": self._set_breakpoints,
            "source": self._source,
            "modules": self._modules,
            "inspectVariables": self._inspect_variables,
            "variables": self._variables,
            "richInspectVariables": self._rich_inspect_variables,
            "copyToGlobals": self._copy_to_globals,
        }

    def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        """One DAP request (``debug_request`` content) -> its response (``debug_reply`` content).

        Blocks until the answer is known (at most ``timeout`` per adapter
        round trip).  Must be called from a kernel thread that never runs user
        code, never from the thread that runs cells (which may be stopped at a
        breakpoint); that thread is marked :func:`untraced` here (unless it is
        the main thread) in case the kernel did not already do so.  Never
        raises: failures become ``{"success": False, "message": ...}``.
        """
        caller = threading.current_thread()
        if caller is not threading.main_thread():
            untraced(caller)
        command = request.get("command")
        handler = self._handlers.get(command, self._forward) if isinstance(command, str) else None
        try:
            if handler is None:
                raise DebuggerError(f"not a DAP request: command is {command!r}")
            if not platform.CAN_START_THREADS:  # debugpy serves from threads of its own
                raise DebuggerError(f"the debugger is not available: {platform.NO_THREADS}")
            return handler(request)
        except DebuggerError as exc:
            return req.failure(request, next(self._seq), str(exc))
        except Exception as exc:
            _log.exception("debug request %r failed", command)
            return req.failure(request, next(self._seq), f"{command} failed: {type(exc).__name__}: {exc}")

    def close(self) -> None:
        """Turn the debugger off as a frontend's ``disconnect`` does (resuming stopped threads).

        Waits at most a couple of seconds, as it runs at kernel shutdown.
        pydevd stays loaded, and connected to this process, until it exits.
        """
        with self._lifecycle:
            self._detach(timeout=min(self._timeout, _CLOSE_TIMEOUT))

    # -- session lifecycle -------------------------------------------------
    #
    # The session with pydevd, once started, lasts as long as the process (see
    # .server: no one else can connect to pydevd).  What the frontend turns on
    # and off is ``_active``: between its ``initialize`` and its ``disconnect``.

    def _initialize(self, request: Message) -> Message:
        with self._lifecycle:
            session = self._session
            if session is not None and session.alive:
                self._active = True
                return req.reply(request, next(self._seq), session.capabilities)
            args = req.arguments(request)
            session, response = Session.start(self._host, self._on_event, args, self._timeout)
            self._session = session
            self._active = session is not None
            return self._relay(request, response)

    def _attach(self, request: Message) -> Message:
        with self._lifecycle:
            session = self._require_session()
            if session.attached:
                # What pydevd sent when it was first attached: the frontend configures after it.
                self._send_event({"seq": next(self._seq), "type": "event", "event": "initialized"})
                return req.reply(request, next(self._seq))
            args = req.arguments(request)
            response = session.attach(args, just_my_code=self._just_my_code, timeout=self._timeout)
            return self._relay(request, response)

    def _configuration_done(self, request: Message) -> Message:
        # Already sent to pydevd while attaching; breakpoints set since then apply anyway.
        self._require_session()
        return req.reply(request, next(self._seq))

    def _disconnect(self, request: Message) -> Message:
        with self._lifecycle:
            self._detach(timeout=self._timeout)
            return req.reply(request, next(self._seq))

    def _detach(self, *, timeout: float) -> None:
        """The frontend is gone: remove its breakpoints, resume stopped threads, forget its state."""
        self._active = False
        with self._state:
            sources = set(self._sources)
            self._breakpoints.clear()
            self._sources.clear()
        stopped = self._stopped.snapshot()
        self._stopped.clear()
        self._table.clear()
        session = self._session
        if session is not None and session.alive:
            session.detach(sources, stopped, timeout=timeout)

    def _require_session(self) -> Session:
        session = self._session
        if session is None or not session.alive or not self._active:
            raise DebuggerError("the debugger is not started: send 'initialize' and 'attach' first")
        return session

    # -- relaying ----------------------------------------------------------

    def _forward(self, request: Message) -> Message:
        session = self._require_session()
        command = str(request["command"])
        response = session.request(command, request.get("arguments"), timeout=self._timeout)
        return self._relay(request, response)

    @staticmethod
    def _relay(request: Message, response: Message) -> Message:
        """The adapter's response, renumbered to answer the frontend's request."""
        return {**response, **req.answering(request)}

    def _on_event(self, event: Message) -> None:
        if not self._active:
            self._resume_unattended(event)
            return
        self._stopped.on_event(event)
        self._send_event(event)

    def _resume_unattended(self, event: Message) -> None:
        """A thread stopped while no frontend debugs (``debugpy.breakpoint()`` in a cell): no one
        could resume it, so resume it now.  Runs on the reader thread: sends, never waits."""
        thread_id = (event.get("body") or {}).get("threadId")
        session = self._session
        if event.get("event") == "stopped" and isinstance(thread_id, int) and session is not None:
            with contextlib.suppress(DebuggerError):
                session.connection.send("continue", {"threadId": thread_id})

    def _continue(self, request: Message) -> Message:
        with self._stopped.resuming(req.arguments(request)) as resumption:
            response = self._forward(request)
            if response.get("success"):
                resumption.confirm()
        return response

    # -- Jupyter requests ----------------------------------------------------

    def _debug_info(self, request: Message) -> Message:
        with self._state:
            breakpoints = {path: list(bps) for path, bps in self._breakpoints.items()}
        stopped = self._stopped.snapshot()
        started = self._active and self._session is not None and self._session.alive
        body = req.debug_info_body(
            self._cell_files, started=started, breakpoints=breakpoints, stopped_threads=stopped
        )
        return req.reply(request, next(self._seq), body)

    def _dump_cell(self, request: Message) -> Message:
        code = req.arguments(request).get("code")
        if not isinstance(code, str):
            raise DebuggerError("dumpCell needs the cell's code as a string")
        return req.reply(request, next(self._seq), {"sourcePath": self._cell_files.dump(code)})

    def _set_breakpoints(self, request: Message) -> Message:
        response = self._forward(request)
        args = req.arguments(request)
        path = (args.get("source") or {}).get("path")
        if response.get("success") and isinstance(path, str):
            reported = (response.get("body") or {}).get("breakpoints") or []
            placed = req.placed_breakpoints(args.get("breakpoints") or [], reported)
            with self._state:
                self._sources.add(path)
                if placed:
                    self._breakpoints[path] = placed
                else:
                    self._breakpoints.pop(path, None)
        return response

    def _source(self, request: Message) -> Message:
        path = (req.arguments(request).get("source") or {}).get("path")
        if not isinstance(path, str):
            raise DebuggerError("source needs arguments.source.path")
        return req.reply(request, next(self._seq), req.source_body(path, self._cell_files))

    def _modules(self, request: Message) -> Message:
        return req.reply(request, next(self._seq), req.modules_body(req.arguments(request)))

    # -- variables ---------------------------------------------------------------

    def _inspect_variables(self, request: Message) -> Message:
        self._table.clear()
        variables = self._table.namespace(self._user_namespace())
        return req.reply(request, next(self._seq), {"variables": variables})

    def _variables(self, request: Message) -> Message:
        args = req.arguments(request)
        reference = args.get("variablesReference")
        if isinstance(reference, int) and reference in self._table:
            start, count = int(args.get("start", 0) or 0), int(args.get("count", 0) or 0)
            variables = self._table.children(reference, start, count)
            return req.reply(request, next(self._seq), {"variables": variables})
        response = self._forward(request)
        body = response.get("body") or {}
        if response.get("success") and isinstance(body.get("variables"), list):
            shown = [v for v in body["variables"] if not is_internal_name(str(v.get("name", "")))]
            response = {**response, "body": {**body, "variables": shown}}
        return response

    def _rich_inspect_variables(self, request: Message) -> Message:
        args = req.arguments(request)
        if args.get("variableName") in req.GROUP_NAMES:
            return req.reply(request, next(self._seq), {"data": {}, "metadata": {}})
        name = req.identifier(args, "variableName")
        data, metadata = self._rich_repr(self._lookup(name, args.get("frameId")))
        return req.reply(request, next(self._seq), {"data": data, "metadata": metadata})

    def _copy_to_globals(self, request: Message) -> Message:
        args = req.arguments(request)
        source = req.identifier(args, "srcVariableName")
        target = req.identifier(args, "dstVariableName")
        value = self._lookup(source, args.get("srcFrameId"))
        self._user_namespace()[target] = value
        body = {"value": short_repr(value), "type": type_name(value), "variablesReference": 0}
        return req.reply(request, next(self._seq), body)

    def _lookup(self, name: str, frame_id: object) -> Any:
        """The value of ``name``: in the frame if one is given and stopped, else in the namespace."""
        if isinstance(frame_id, int) and self._stopped:
            return self._require_session().value_in_frame(name, frame_id, timeout=self._timeout)
        namespace = self._user_namespace()
        if name not in namespace:
            raise DebuggerError(f"name {name!r} is not defined")
        return namespace[name]
