"""Connecting pydevd, debugpy's debugger, to the kernel (once per process).

The kernel speaks DAP to pydevd directly, over one connection that no other
process can open, join or take over once the kernel has it:

* the kernel listens on a loopback port of its own, only until pydevd has
  connected (``debugpy.connect``, started from a helper thread);
* the peer must prove it is that pydevd by answering ``pydevdAuthorize`` with
  the random token the kernel handed to ``debugpy.connect``; a peer that does
  not is dropped (logged) and the kernel keeps waiting for the real one;
* then the listener is closed.  pydevd itself listens on nothing, and no debug
  adapter process is spawned.

debugpy's usual arrangement (``debugpy.listen``) spawns an adapter process that
keeps a DAP port open on 127.0.0.1 for the life of the process and accepts any
local client that connects while no other client is attached: arbitrary code
for every local user once the frontend turned the debugger off.

pydevd can be connected once per process and traces the whole process, so the
connection is process-wide state, cached here for the :class:`~.session.Session`
objects of every :class:`~.Debugger` (it mirrors pydevd's own state).
"""

from __future__ import annotations

import contextlib
import hmac
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable

from .adapter import AdapterConnection, Message
from .errors import AdapterUnavailable, DebuggerError

LOCALHOST = "127.0.0.1"

_log = logging.getLogger(__name__)

# pydevd warns on import that frozen modules may hide breakpoints (Python >= 3.11)
# by writing to sys.stderr, which in a kernel is the running cell's output.  Cell
# files are real files, so the check is moot; the variable must be set before
# pydevd is first imported.
_QUIET_ENV = {"PYDEVD_DISABLE_FILE_VALIDATION": "1"}
_POLL = 0.2  # seconds between checks that the connecting thread is still trying

_lock = threading.Lock()
_connection: AdapterConnection | None = None


def quiet_environment() -> None:
    """Set the environment that keeps pydevd's start-up warnings out of cells."""
    # Overrides an empty or false value too: the warning is never useful in a kernel.
    os.environ.update(_QUIET_ENV)


def _ignore(event: Message) -> None:
    """Events before the connection has an owner (pydevd sends none before ``initialize``)."""


def ensure_connected(host: str = LOCALHOST, timeout: float = 30.0) -> AdapterConnection:
    """pydevd's connection to this process, connecting it on first use.

    Blocks until pydevd has connected and proved it knows the token (typically
    a fraction of a second; at most ``timeout`` seconds).  Raises
    :class:`AdapterUnavailable` if debugpy cannot start (including when user
    code already called ``debugpy.listen`` or ``debugpy.connect`` itself) or
    when the connection made earlier has been lost (pydevd cannot connect twice).
    """
    global _connection  # noqa: PLW0603 - see the module docstring
    with _lock:
        if _connection is not None:
            if _connection.closed:
                raise AdapterUnavailable(
                    "the connection to pydevd was lost; restart the kernel to debug again"
                )
            return _connection
        quiet_environment()
        token = secrets.token_hex(32)
        with socket.create_server((host, 0), backlog=4) as listener:
            port = int(listener.getsockname()[1])
            connector = _Connector(host, port, token)
            connector.start()
            _connection = accept_pydevd(listener, token, connector.failure, time.monotonic() + timeout)
        return _connection


class _Connector:
    """``debugpy.connect`` on a short-lived thread (it returns once pydevd is attached)."""

    def __init__(self, host: str, port: int, token: str) -> None:
        self._address = (host, port)
        self._token = token
        self._error: str | None = None
        # Not marked untraced: the thread ends soon, and pydevd decides itself what it traces.
        self._thread = threading.Thread(target=self._run, name="braid-debugpy-connect", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def failure(self) -> str | None:
        """Why the connection attempt failed, once it has; else None."""
        return self._error

    def _run(self) -> None:
        try:
            import debugpy

            # Child processes of the kernel (shell commands, pools) are not what
            # the notebook user is debugging: do not inject debugpy into them.
            debugpy.configure(subProcess=False)
            debugpy.connect(self._address, access_token=self._token)
        except Exception as exc:
            self._error = f"debugpy could not start: {exc}"


def accept_pydevd(
    listener: socket.socket, token: str, failure: Callable[[], str | None], deadline: float
) -> AdapterConnection:
    """The first connection on ``listener`` whose peer answers ``pydevdAuthorize`` with ``token``.

    Peers that do not (any local process may connect to a loopback port) are
    closed and logged.  ``failure()`` returns a reason once the connecting side
    has given up; :class:`AdapterUnavailable` is raised then, or at ``deadline``
    (a ``time.monotonic`` value).
    """
    while True:
        reason = failure()
        remaining = deadline - time.monotonic()
        if reason is not None or remaining <= 0:
            raise AdapterUnavailable(reason or "pydevd did not connect to the kernel in time")
        listener.settimeout(min(remaining, _POLL))
        try:
            sock, peer = listener.accept()
        except TimeoutError:
            continue
        connection = AdapterConnection(sock, _ignore)
        if _authorized(connection, token, timeout=max(0.1, min(remaining, 10.0))):
            return connection
        connection.close()
        _log.warning("refused a connection to the debugger's port from %s: not the kernel's pydevd", peer)


def _authorized(connection: AdapterConnection, token: str, *, timeout: float) -> bool:
    """Whether the peer answers ``pydevdAuthorize`` with ``token`` (as pydevd does with the
    ``access_token`` given to ``debugpy.connect``)."""
    try:
        response = connection.request("pydevdAuthorize", {"debugServerAccessToken": None}, timeout=timeout)
    except DebuggerError:
        return False
    body = response.get("body")
    answer = body.get("clientAccessToken") if isinstance(body, dict) else None
    with contextlib.suppress(TypeError):  # not a string
        return bool(response.get("success")) and hmac.compare_digest(str(answer), token)
    return False
