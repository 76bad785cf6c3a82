"""Subshells (JEP 91): each one a thread with its own event loop.

A subshell serves the shell requests whose header names it, on its own
thread, so it keeps answering while the main shell (or another subshell)
is blocked in synchronous code.  What a subshell runs is supplied by the
composition root as a ``serve(subshell_id, inbox)`` coroutine.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import anyio

from braid_kernel.errors import UnknownSubshell
from braid_kernel.routing.inbox import ShellInbox
from braid_kernel.routing.router import ShellRegistry

log = logging.getLogger("braid_kernel.routing")

Serve = Callable[[str, ShellInbox], Awaitable[None]]


@dataclass(slots=True)
class _Subshell:
    thread: threading.Thread
    inbox: ShellInbox | None = None
    scope: anyio.CancelScope | None = None


class SubshellManager:
    """Creates, lists and deletes subshell threads; thread-safe."""

    def __init__(self, registry: ShellRegistry, serve: Serve, backend: str = "asyncio") -> None:
        self._registry = registry
        self._serve = serve
        self._backend = backend
        self._subshells: dict[str, _Subshell] = {}
        self._lock = threading.Lock()

    def create(self) -> str:
        """Start a subshell and return its id once it accepts requests."""
        sid = uuid.uuid4().hex
        ready = threading.Event()
        entry = _Subshell(
            threading.Thread(
                target=self._thread_main, args=(sid, ready), name=f"braid-subshell-{sid[:8]}", daemon=True
            )
        )
        with self._lock:
            self._subshells[sid] = entry
        entry.thread.start()
        ready.wait()
        return sid

    def list(self) -> list[str]:
        with self._lock:
            return list(self._subshells)

    def delete(self, sid: str) -> None:
        """Stop a subshell, cancelling what it runs; :class:`UnknownSubshell` if none."""
        with self._lock:
            entry = self._subshells.pop(sid, None)
        if entry is None:
            raise UnknownSubshell(f"no subshell with id {sid!r}")
        self._registry.remove(sid)
        if entry.inbox is not None and entry.scope is not None:
            entry.inbox.bridge.call_soon(entry.scope.cancel)
        entry.thread.join(timeout=2.0)

    def delete_all(self) -> None:
        for sid in self.list():
            self.delete(sid)

    def _thread_main(self, sid: str, ready: threading.Event) -> None:
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
                await self._serve(sid, inbox)

        try:
            anyio.run(main, backend=self._backend)
        except Exception:
            log.exception("subshell %s ended with an error", sid)
        finally:
            ready.set()
