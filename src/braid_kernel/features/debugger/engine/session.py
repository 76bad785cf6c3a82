"""The kernel's debugging session with pydevd.

A session starts with the frontend's first ``initialize`` and lasts as long as
the kernel: pydevd's connection is never handed to anyone else (see
:mod:`.server`).  When the frontend turns the debugger off, the session is
*detached* (its breakpoints removed, stopped threads resumed) rather than
ended, and the next ``initialize`` / ``attach`` reuse it.  Requests arrive
already numbered by the connection; responses are returned as pydevd sent
them (the :class:`~.Debugger` renumbers them for the frontend).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .adapter import AdapterConnection, EventHandler, Message
from .errors import DebuggerError
from .probe import Capture
from .server import ensure_connected

_log = logging.getLogger(__name__)

# Stepping never enters the kernel's own code, even when it is installed editable.
KERNEL_DIR = Path(__file__).resolve().parents[2]


class Session:
    """An initialized pydevd connection; :meth:`attach` it, then relay requests.

    Create with :meth:`start`.  Methods block the calling thread for at most
    ``timeout`` seconds per round trip and raise :class:`DebuggerError`
    subclasses when pydevd is unreachable or silent.
    """

    def __init__(self, connection: AdapterConnection, capabilities: dict[str, Any]) -> None:
        self.connection = connection
        self.capabilities = capabilities
        self.attached = False

    @classmethod
    def start(
        cls, host: str, on_event: EventHandler, arguments: dict[str, Any], timeout: float
    ) -> tuple[Session | None, Message]:
        """Connect pydevd if needed and send ``initialize``; (session or None, response)."""
        connection = ensure_connected(host, timeout)
        connection.on_event = on_event
        response = connection.request("initialize", arguments, timeout=timeout)
        if not response.get("success"):
            return None, response
        return cls(connection, response.get("body") or {}), response

    @property
    def alive(self) -> bool:
        """False once pydevd's connection is lost."""
        return not self.connection.closed

    def attach(self, arguments: dict[str, Any], *, just_my_code: bool, timeout: float) -> Message:
        """Attach pydevd to this process; return the ``attach`` response.

        pydevd answers ``attach`` at once; ``configurationDone`` is sent right
        after it, because JupyterLab configures breakpoints only after the
        attach response (they apply all the same when set later).
        """
        args = {
            key: value for key, value in arguments.items() if key not in ("connect", "listen", "processId")
        }
        args.setdefault("justMyCode", just_my_code)
        # pydevd suspends every thread at a breakpoint by default; a kernel wants
        # only the stopped cell's thread suspended, so that subshells (own threads)
        # and threads the user started keep running.
        args.setdefault("stopAllThreadsOnSuspend", False)
        args["rules"] = [*args.get("rules", []), {"path": str(KERNEL_DIR), "include": False}]
        response = self.connection.request("attach", args, timeout=timeout)
        if not response.get("success"):
            return response
        configured = self.connection.request("configurationDone", timeout=timeout)
        if not configured.get("success"):
            return configured
        self.attached = True
        return response

    def request(self, command: str, arguments: Any, *, timeout: float) -> Message:
        """Relay one request; pydevd's response, success or not."""
        return self.connection.request(command, arguments, timeout=timeout)

    def value_in_frame(self, name: str, frame_id: int, *, timeout: float) -> Any:
        """The object ``name`` denotes in a suspended frame (evaluated there)."""
        with Capture() as capture:
            arguments = {"expression": capture.expression(name), "frameId": frame_id, "context": "watch"}
            response = self.request("evaluate", arguments, timeout=timeout)
            if not response.get("success"):
                raise DebuggerError(str(response.get("message") or f"cannot evaluate {name!r}"))
            return capture.value

    def detach(self, sources: Iterable[str], stopped: Iterable[int], *, timeout: float) -> None:
        """Undo what a frontend set up, keeping the connection: remove the breakpoints of
        ``sources`` (and every exception and function breakpoint), resume ``stopped`` threads.

        Failures are logged, not raised: the frontend is gone either way.
        """
        requests: list[tuple[str, dict[str, Any]]] = [
            ("setExceptionBreakpoints", {"filters": []}),
            ("setFunctionBreakpoints", {"breakpoints": []}),
        ]
        requests += [("setBreakpoints", {"source": {"path": path}, "breakpoints": []}) for path in sources]
        requests += [("continue", {"threadId": thread_id}) for thread_id in stopped]
        for command, arguments in requests:
            try:
                response = self.request(command, arguments, timeout=timeout)
            except DebuggerError as exc:
                _log.warning("debugger: %s failed while turning the debugger off: %s", command, exc)
                continue
            if not response.get("success"):
                _log.debug(
                    "debugger: %s while turning the debugger off: %s", command, response.get("message")
                )
