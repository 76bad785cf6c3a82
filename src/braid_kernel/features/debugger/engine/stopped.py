"""Which threads are stopped, as far as the frontend should know.

``debugInfo`` reports the stopped threads (JupyterLab restores its view from
them after a reload), and a ``frameId`` only means something while a thread is
stopped.  The set follows the adapter's events, with one addition: debugpy
sends no ``continued`` event for a ``continue`` request (DAP lets the response
say it), so :meth:`StoppedThreads.resuming` forgets the threads before the
request is sent, which is before any later ``stopped`` event can arrive.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class StoppedThreads:
    """A thread-safe set of DAP thread ids, updated from the adapter's reader thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids: set[int] = set()

    def snapshot(self) -> list[int]:
        """The stopped thread ids, sorted."""
        with self._lock:
            return sorted(self._ids)

    def __bool__(self) -> bool:
        with self._lock:
            return bool(self._ids)

    def clear(self) -> None:
        """Forget every thread (the session ended)."""
        with self._lock:
            self._ids.clear()

    def on_event(self, event: dict[str, Any]) -> None:
        """Follow one DAP event (any event may be passed)."""
        name = event.get("event")
        body = event.get("body") or {}
        thread_id = body.get("threadId")
        with self._lock:
            if name == "stopped" and isinstance(thread_id, int):
                self._ids.add(thread_id)
            elif name == "continued" and body.get("allThreadsContinued"):
                self._ids.clear()
            elif name == "continued" or (name == "thread" and body.get("reason") == "exited"):
                self._ids.discard(thread_id)
            elif name in ("terminated", "exited"):
                self._ids.clear()

    @contextmanager
    def resuming(self, arguments: dict[str, Any]) -> Iterator[Resumption]:
        """Around a ``continue`` request: forget the threads it resumes.

        Call ``confirm()`` on the yielded object once the adapter accepted the
        request; otherwise the forgotten threads are remembered again.
        """
        resumption = Resumption()
        thread_id = arguments.get("threadId")
        with self._lock:
            before = set(self._ids)
            if arguments.get("singleThread") and isinstance(thread_id, int):
                self._ids.discard(thread_id)
            else:
                self._ids.clear()
        try:
            yield resumption
        finally:
            if not resumption.confirmed:
                with self._lock:
                    self._ids |= before


class Resumption:
    """Whether a ``continue`` request went through (see :meth:`StoppedThreads.resuming`)."""

    def __init__(self) -> None:
        self.confirmed = False

    def confirm(self) -> None:
        """The adapter accepted the request: the threads are running."""
        self.confirmed = True
