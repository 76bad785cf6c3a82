"""One frontend's debugging session with debugpy's adapter.

A session runs from ``initialize`` to ``disconnect``: it owns the adapter
connection and plays debugpy's start-up sequence.  Requests arrive already
numbered by the connection; responses are returned as the adapter sent them
(the :class:`~.Debugger` renumbers them for the frontend).
"""

from __future__ import annotations

import logging
from concurrent import futures
from pathlib import Path
from typing import Any

from .adapter import AdapterConnection, EventHandler, Message, wait
from .errors import AdapterTimeout, DebuggerError
from .probe import Capture
from .server import Endpoint, ensure_listening

_log = logging.getLogger(__name__)

# Stepping never enters the kernel's own code, even when it is installed editable.
KERNEL_DIR = Path(__file__).resolve().parents[2]


class Session:
    """An initialized adapter connection; :meth:`attach` it, then relay requests.

    Create with :meth:`start`.  Methods block the calling thread for at most
    ``timeout`` seconds per round trip and raise :class:`DebuggerError`
    subclasses when the adapter is unreachable or silent.
    """

    def __init__(
        self, connection: AdapterConnection, endpoint: Endpoint, capabilities: dict[str, Any]
    ) -> None:
        self.connection = connection
        self.endpoint = endpoint
        self.capabilities = capabilities
        self.attached = False

    @classmethod
    def start(
        cls, host: str, on_event: EventHandler, arguments: dict[str, Any], timeout: float
    ) -> tuple[Session | None, Message]:
        """Start debugpy if needed, connect, send ``initialize``; (session or None, response)."""
        endpoint = ensure_listening(host)
        connection = AdapterConnection(endpoint, on_event)
        try:
            response = connection.request("initialize", arguments, timeout=timeout)
        except BaseException:
            connection.close()
            raise
        if not response.get("success"):
            connection.close()
            return None, response
        return cls(connection, endpoint, response.get("body") or {}), response

    @property
    def alive(self) -> bool:
        """False once the adapter connection is closed."""
        return not self.connection.closed

    def attach(self, arguments: dict[str, Any], *, just_my_code: bool, timeout: float) -> Message:
        """Attach the adapter to this process; return the ``attach`` response.

        debugpy answers ``attach`` only after ``configurationDone``, which a
        client may send only after the ``initialized`` event.  JupyterLab
        waits for the attach response before it configures anything, so the
        session sends ``configurationDone`` itself; breakpoints set later apply
        all the same.
        """
        args = dict(arguments)
        args["connect"] = {"host": self.endpoint.host, "port": self.endpoint.port}
        args.setdefault("justMyCode", just_my_code)
        # debugpy suspends every thread at a breakpoint by default; a kernel wants
        # only the stopped cell's thread suspended, so that subshells (own threads)
        # and threads the user started keep running.
        args.setdefault("stopAllThreadsOnSuspend", False)
        args["rules"] = [*args.get("rules", []), {"path": str(KERNEL_DIR), "include": False}]
        initialized = self.connection.expect_event("initialized")
        attached = self.connection.send("attach", args)
        futures.wait([initialized, attached], timeout, futures.FIRST_COMPLETED)
        if not attached.done():  # otherwise the adapter refused at once
            if not initialized.done():
                raise AdapterTimeout("debugpy sent no 'initialized' event after 'attach'")
            initialized.result()
            configured = self.connection.request("configurationDone", timeout=timeout)
            if not configured.get("success"):
                return configured
        response = wait(attached, timeout, "attach")
        self.attached = bool(response.get("success"))
        return response

    def request(self, command: str, arguments: Any, *, timeout: float) -> Message:
        """Relay one request; the adapter's response, success or not."""
        return self.connection.request(command, arguments, timeout=timeout)

    def value_in_frame(self, name: str, frame_id: int, *, timeout: float) -> Any:
        """The object ``name`` denotes in a suspended frame (evaluated there)."""
        with Capture() as capture:
            arguments = {"expression": capture.expression(name), "frameId": frame_id, "context": "watch"}
            response = self.request("evaluate", arguments, timeout=timeout)
            if not response.get("success"):
                raise DebuggerError(str(response.get("message") or f"cannot evaluate {name!r}"))
            return capture.value

    def disconnect(self, arguments: dict[str, Any], *, timeout: float) -> Message | None:
        """Detach from this process (never terminating it) and close; the response if any.

        debugpy removes the session's breakpoints and resumes stopped threads.
        """
        args = {**arguments, "terminateDebuggee": False, "restart": False}
        try:
            if self.alive:
                return self.connection.request("disconnect", args, timeout=timeout)
        except DebuggerError:
            _log.debug("debugpy did not acknowledge the disconnect", exc_info=True)
        finally:
            self.connection.close()
        return None
