"""How a kernel ends: one :class:`Shutdown`, built before every other part.

A shutdown is asked for from any thread — a ``shutdown_request`` (I/O or control thread),
``exit()`` in a cell, the launcher's death (:mod:`~braid_kernel.app.parent`), a kernel thread
giving up (:mod:`~braid_kernel.transport.supervisor`).  :meth:`Shutdown.request` stops the main
shell (which registers how while it serves: :meth:`Shutdown.stops`); in a kernel process it also
starts a grace timer, after which the process exits even if a cell still blocks the main thread.
The exit status is the Shutdown's too: 0, or :data:`EXIT_THREAD_FAILED` after :meth:`Shutdown.fail`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

log = logging.getLogger("braid_kernel")

EXIT_THREAD_FAILED = 70  # exit status when a kernel thread gave up (EX_SOFTWARE)


class Shutdown:
    """The kernel's end, asked for once from any thread.

    ``force_exit(status)``: a kernel process's last resort, called ``grace`` seconds after the
    request if the process is still there (None in-process: the host's loop decides)."""

    def __init__(self, *, grace: float = 0.0, force_exit: Callable[[int], None] | None = None) -> None:
        self._grace = grace
        self._force_exit = force_exit
        self._lock = threading.Lock()
        self._requested = False
        self._stoppers: list[Callable[[], object]] = []
        self.status = 0

    @property
    def requested(self) -> bool:
        return self._requested

    def request(self) -> None:
        """Begin shutdown (any thread; later calls do nothing): stop the main shell, and in a
        kernel process exit after the grace period even if a cell blocks."""
        with self._lock:
            if self._requested:
                return
            self._requested = True
            stoppers = list(self._stoppers)
        for stop in stoppers:
            stop()
        if self._force_exit is not None:
            timer = threading.Timer(self._grace, self._exit)
            timer.daemon = True
            timer.start()

    def fail(self, reason: str) -> None:
        """A kernel thread gave up: shut down with a clear message rather than hang, so the
        frontend sees the kernel die and offers a restart (JupyterLab restarts it at once)."""
        log.critical("%s: the kernel shuts down; restart it", reason)
        self.status = EXIT_THREAD_FAILED
        self.request()

    @contextmanager
    def stops(self, stop: Callable[[], object]) -> Iterator[None]:
        """While the block runs, a request calls ``stop`` (from the requesting thread); at once
        if shutdown was requested already."""
        with self._lock:
            self._stoppers.append(stop)
            already = self._requested
        if already:
            stop()
        try:
            yield
        finally:
            with self._lock:
                self._stoppers.remove(stop)

    def _exit(self) -> None:
        assert self._force_exit is not None
        log.warning("main thread still busy %.0fs after shutdown: exiting", self._grace)
        self._force_exit(self.status)
