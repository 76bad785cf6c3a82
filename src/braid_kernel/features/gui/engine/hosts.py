"""The GUI side of a guest run: a toolkit main loop that also runs callbacks handed in from any
thread.

A host owns the main thread while the kernel runs.  :meth:`GuiHost.call_soon_threadsafe` is how a
guest backend (and everything else) gets code run on it: the callback is queued and the toolkit is
woken (Tk: a pipe watched by a Tcl file handler; Qt: a queued signal), then the queue is drained on
the main thread.  Draining never nests: a cell that spins a nested toolkit loop (``plt.pause``,
``root.update()``) leaves queued callbacks to the outer drain, so a guest step never re-enters
itself.  A periodic tick runs a little Python code so signal handlers (interrupts) run even while
the toolkit sleeps in C.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

from braid_kernel.engine.modes import GuiLoop
from braid_kernel.errors import ConfigError

__all__ = ("GuiHost", "QtHost", "TkHost", "make_host")

log = logging.getLogger("braid_kernel.gui")

TICK_MS = 100  # how often Python code runs in an idle GUI loop, so SIGINT handlers are not delayed


class GuiHost(Protocol):
    """A toolkit's main loop on the main thread."""

    name: str

    def call_soon_threadsafe(self, fn: Callable[[], object]) -> None:
        """Run ``fn()`` soon on the main thread (from any thread, or a signal handler)."""
        ...

    def run(self) -> None:
        """Run the toolkit's main loop until :meth:`stop` (main thread)."""
        ...

    def stop(self) -> None:
        """Make :meth:`run` return (main thread)."""
        ...

    def close(self) -> None:
        """Release the toolkit's resources after the last :meth:`run`."""
        ...


class _Calls:
    """Callbacks waiting for the main thread; :meth:`drain` runs them, never nested."""

    def __init__(self) -> None:
        self._queue: deque[Callable[[], object]] = deque()
        self._draining = False
        self.posted = False  # a wake-up is on its way; set by the poster, cleared by drain

    def push(self, fn: Callable[[], object]) -> bool:
        """Queue ``fn``; True when the caller must wake the toolkit."""
        self._queue.append(fn)
        if self.posted:
            return False
        self.posted = True
        return True

    def drain(self) -> None:
        self.posted = False
        if self._draining:
            return  # a nested toolkit loop inside a callback: the outer drain goes on
        self._draining = True
        try:
            while self._queue:
                fn = self._queue.popleft()
                try:
                    fn()
                except Exception:
                    log.exception("GUI host callback failed")
        finally:
            self._draining = False


class TkHost:
    """Tk's main loop (standard library ``tkinter``) with a hidden root window."""

    name = "tk"

    def __init__(self) -> None:
        import tkinter

        try:
            self.root = tkinter.Tk()
        except tkinter.TclError as exc:
            raise ConfigError(f"--loop tk could not open a Tk window ({exc}): check DISPLAY") from exc
        self.root.withdraw()  # the host's own window; cells open theirs (Toplevel, Tk, figures)
        self._calls = _Calls()
        self._read_fd, self._write_fd = os.pipe()
        os.set_blocking(self._read_fd, False)
        os.set_blocking(self._write_fd, False)
        self.root.tk.createfilehandler(self._read_fd, tkinter.READABLE, self._on_wake)
        self._tick()

    def call_soon_threadsafe(self, fn: Callable[[], object]) -> None:
        if self._calls.push(fn):
            with contextlib.suppress(BlockingIOError, OSError):  # a full pipe is readable anyway
                os.write(self._write_fd, b"\0")

    def _on_wake(self, fd: int, mask: int) -> None:
        del fd, mask
        with contextlib.suppress(BlockingIOError, OSError):
            os.read(self._read_fd, 4096)
        self._calls.drain()

    def _tick(self) -> None:
        self.root.after(TICK_MS, self._tick)

    def run(self) -> None:
        self.root.mainloop()

    def stop(self) -> None:
        self.root.quit()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.root.tk.deletefilehandler(self._read_fd)
            self.root.destroy()
        for fd in (self._read_fd, self._write_fd):
            with contextlib.suppress(OSError):
                os.close(fd)


class QtHost:
    """Qt's main loop (PySide6): the process's ``QApplication``."""

    name = "qt"

    def __init__(self) -> None:
        from PySide6.QtCore import QObject, Qt, QTimer, Signal
        from PySide6.QtWidgets import QApplication

        class _Relay(QObject):  # lives on the main thread; its signal is always queued there
            wake = Signal()

        existing = QApplication.instance()
        self.app: Any = existing if isinstance(existing, QApplication) else QApplication(["braid-kernel"])
        self.app.setQuitOnLastWindowClosed(False)  # closing a figure must not end the kernel
        self._calls = _Calls()
        self._relay = _Relay()
        self._relay.wake.connect(self._calls.drain, Qt.ConnectionType.QueuedConnection)
        self._timer = QTimer()
        self._timer.timeout.connect(_noop)
        self._timer.start(TICK_MS)

    def call_soon_threadsafe(self, fn: Callable[[], object]) -> None:
        if self._calls.push(fn):
            self._relay.wake.emit()

    def run(self) -> None:
        self.app.exec()

    def stop(self) -> None:
        self.app.quit()

    def close(self) -> None:
        self._timer.stop()


def _noop() -> None:
    """The tick's slot: running any Python code lets pending signal handlers run."""


def make_host(loop: GuiLoop) -> GuiHost:
    """Create the host for ``loop`` on the main thread; :class:`ConfigError` if it cannot open."""
    if loop is GuiLoop.TK:
        return TkHost()
    return QtHost()
