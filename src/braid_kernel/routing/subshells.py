"""Subshells (JEP 91): each one a thread with its own event loop.

A subshell serves the shell requests whose header names it, on its own
thread, so it keeps answering while the main shell (or another subshell)
is blocked in synchronous code.  What a subshell runs is supplied by the
composition root as a ``serve(subshell_id, inbox)`` coroutine (per subshell
if need be), and how its running cells are cancelled as a ``cancel(subshell_id)``
callback.

Deleting a subshell stops it gracefully: no new requests reach it, its
inbox is closed (requests already queued are still answered), ``cancel``
ends its running cells so that every execute_request gets its reply, and
the serve coroutine then returns.  Only a subshell still busy after
``grace`` seconds (a cell stuck in a C call) has its scope cancelled; its
thread ends when that call returns.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import anyio

from braid_kernel.errors import UnavailableHere, UnknownSubshell
from braid_kernel.routing import platform
from braid_kernel.routing.inbox import ShellInbox
from braid_kernel.routing.router import ShellRegistry

log = logging.getLogger("braid_kernel.routing")

Serve = Callable[[str, ShellInbox], Awaitable[None]]
Cancel = Callable[[str], None]

DELETE_GRACE = 5.0  # seconds a deleted subshell gets to answer its running requests


@dataclass(slots=True)
class _Subshell:
    thread: threading.Thread
    inbox: ShellInbox | None = None
    scope: anyio.CancelScope | None = None


class SubshellManager:
    """Creates, lists and deletes subshell threads; thread-safe."""

    def __init__(
        self,
        registry: ShellRegistry,
        serve: Serve,
        backend: str = "asyncio",
        cancel: Cancel | None = None,
        grace: float = DELETE_GRACE,
    ) -> None:
        self._registry = registry
        self._serve = serve
        self._cancel = cancel
        self._grace = grace
        self._backend = backend
        self._subshells: dict[str, _Subshell] = {}
        self._lock = threading.Lock()

    def create(self, serve: Serve | None = None) -> str:
        """Start a subshell (served by ``serve``, else the manager's) and
        return its id once it accepts requests.  Raises :class:`UnavailableHere` where no
        thread can start, and whatever ``Thread.start`` raised otherwise (the subshell is then
        not registered: nothing waits to join a thread that never ran)."""
        if not platform.CAN_START_THREADS:
            raise UnavailableHere(f"subshells each run on a thread of their own; {platform.NO_THREADS}")
        sid = uuid.uuid4().hex
        ready = threading.Event()
        entry = _Subshell(
            threading.Thread(
                target=self._thread_main,
                args=(sid, ready, serve or self._serve),
                name=f"braid-subshell-{sid[:8]}",
                daemon=True,
            )
        )
        with self._lock:
            self._subshells[sid] = entry
        try:
            entry.thread.start()
        except BaseException:
            with self._lock:
                self._subshells.pop(sid, None)
            raise
        ready.wait()
        return sid

    def list(self) -> list[str]:
        with self._lock:
            return list(self._subshells)

    def delete(self, sid: str) -> None:
        """Stop a subshell, cancelling what it runs; :class:`UnknownSubshell` if none.

        Returns once its thread has ended, or after about ``grace`` seconds."""
        with self._lock:
            entry = self._subshells.pop(sid, None)
        if entry is None:
            raise UnknownSubshell(f"no subshell with id {sid!r}")
        self._stop(sid, entry)
        self._join(sid, entry, time.monotonic() + self._grace)

    def delete_all(self) -> None:
        """Stop every subshell at once, then wait for them (shutdown)."""
        with self._lock:
            entries = list(self._subshells.items())
            self._subshells.clear()
        for sid, entry in entries:
            self._stop(sid, entry)
        deadline = time.monotonic() + self._grace
        for sid, entry in entries:
            self._join(sid, entry, deadline)

    def _stop(self, sid: str, entry: _Subshell) -> None:
        self._registry.remove(sid)
        if entry.inbox is not None:
            entry.inbox.bridge.call_soon(entry.inbox.close)
        if self._cancel is not None:
            self._cancel(sid)

    def _join(self, sid: str, entry: _Subshell, deadline: float) -> None:
        entry.thread.join(timeout=max(0.0, deadline - time.monotonic()))
        if entry.thread.is_alive() and entry.inbox is not None and entry.scope is not None:
            log.warning("subshell %s still busy after deletion: cancelling it", sid)
            entry.inbox.bridge.call_soon(entry.scope.cancel)
            entry.thread.join(timeout=1.0)

    def _thread_main(self, sid: str, ready: threading.Event, serve: Serve) -> None:
        async def main() -> None:
            with anyio.CancelScope() as scope:
                inbox = ShellInbox()
                with self._lock:
                    entry = self._subshells.get(sid)
                if entry is None:
                    return
                entry.inbox, entry.scope = inbox, scope
                self._registry.add(sid, inbox)
                ready.set()
                await serve(sid, inbox)

        try:
            anyio.run(main, backend=self._backend)
        except Exception:
            log.exception("subshell %s ended with an error", sid)
        finally:
            ready.set()
