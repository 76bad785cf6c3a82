"""Starting debugpy inside the kernel process (once per process).

``debugpy.listen`` loads pydevd into this process, spawns debugpy's adapter as
a separate process, and connects pydevd to it; the adapter then accepts DAP
clients on a TCP port.  debugpy allows one ``listen`` per process and keeps the
adapter alive as long as the process lives, so the endpoint is process-wide
state, cached here: a second :class:`~.Debugger` (or the same one after a
``disconnect``) reuses it.  This is the one module-level state of the package,
and it mirrors debugpy's own.
"""

from __future__ import annotations

import os
import socket
import threading
from dataclasses import dataclass

from .errors import AdapterUnavailable

LOCALHOST = "127.0.0.1"

# pydevd warns on import that frozen modules may hide breakpoints (Python >= 3.11)
# by writing to sys.stderr, which in a kernel is the running cell's output.  Cell
# files are real files, so the check is moot; the variable must be set before
# pydevd is first imported.  The adapter process inherits it.
_QUIET_ENV = {"PYDEVD_DISABLE_FILE_VALIDATION": "1"}

_lock = threading.Lock()
_endpoint: Endpoint | None = None


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where debugpy's adapter accepts DAP client connections."""

    host: str
    port: int


def quiet_environment() -> None:
    """Set the environment that keeps pydevd's start-up warnings out of cells."""
    # Overrides an empty or false value too: the warning is never useful in a kernel.
    os.environ.update(_QUIET_ENV)


def free_port(host: str = LOCALHOST) -> int:
    """A TCP port that was free a moment ago on ``host``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def ensure_listening(host: str = LOCALHOST) -> Endpoint:
    """Start debugpy in this process if needed; return its adapter's endpoint.

    Blocks until the adapter is up and pydevd is connected to it (typically a
    fraction of a second).  The calling thread gets pydevd's trace function
    installed, so it should be marked with :func:`.threads.untraced` first.
    Raises :class:`AdapterUnavailable` if debugpy cannot start, including when
    user code already called ``debugpy.listen`` itself.
    """
    global _endpoint  # noqa: PLW0603 - see the module docstring
    with _lock:
        if _endpoint is not None:
            return _endpoint
        quiet_environment()
        try:
            import debugpy

            # Child processes of the kernel (shell commands, pools) are not what
            # the notebook user is debugging: do not inject debugpy into them.
            debugpy.configure(subProcess=False)
            address = debugpy.listen((host, free_port(host)))
        except Exception as exc:
            raise AdapterUnavailable(f"debugpy could not start: {exc}") from exc
        _endpoint = Endpoint(str(address[0]), int(address[1]))
        return _endpoint
