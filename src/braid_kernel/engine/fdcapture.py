"""Output written below Python: file descriptors 1 and 2, routed to cells.

C extensions, ``os.system`` and ``subprocess.run`` without capture write to
the process's file descriptors, not to ``sys.stdout``.  :class:`FdCapture`
replaces fds 1 and 2 with pipes and a reader thread (``braid-fdcapture``)
turns what arrives into ``stream`` output:

* while exactly one cell runs, to that cell;
* while several run (concurrent mode, subshells), to the cell that started
  last — the kernel cannot know which one a C library wrote for;
* while no cell runs, to the kernel's log (the original stdout/stderr, which
  the process that launched the kernel reads).

When a cell ends, :meth:`FdCapture.cell_finished` first flushes C stdio and
reads whatever the pipes hold, so ``os.system("echo hi")`` shows its text in
its own cell, before the reply.  The kernel's own logging is moved to the
original stderr, so it never lands in a cell.  The reader thread is supervised
(:mod:`~braid_kernel.transport.supervisor`): an unread pipe would block every C write once
full, so a failing reader is restarted, or the kernel shuts down.

Forked children write their ``sys.stdout``/``sys.stderr`` text to the inherited
pipes too (see :mod:`braid_kernel.engine.streams`).  For that text to come
before what the kernel prints after it (``p.start(); p.join(); print('after')``),
:class:`ChildWrites` is one byte of memory shared with every forked child: a
child sets it after each write, and the kernel, before publishing text of its
own, drains the pipes if it is set (only once the kernel has forked).
"""

from __future__ import annotations

import codecs
import contextlib
import ctypes
import logging
import mmap
import os
import select
import sys
import threading
from collections.abc import Callable
from typing import TextIO

from braid_kernel.routing.context import Request
from braid_kernel.transport.outbox import Outbox
from braid_kernel.transport.supervisor import GiveUp, supervise

log = logging.getLogger("braid_kernel.fdcapture")

CHUNK = 65536
STREAMS = ((1, "stdout"), (2, "stderr"))


class RunningCells:
    """The requests of the cells running now, in start order (all shells)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[int, Request] = {}

    def started(self, key: int, request: Request) -> None:
        with self._lock:
            self._running[key] = request

    def finished(self, key: int) -> None:
        with self._lock:
            self._running.pop(key, None)

    def target(self) -> Request | None:
        """The request fd output goes to: the last started running cell's."""
        with self._lock:
            if not self._running:
                return None
            return next(reversed(self._running.values()))


class _Pipe:
    """One captured descriptor: its pipe, the saved original, a decoder."""

    def __init__(self, fd: int, name: str) -> None:
        self.fd = fd
        self.name = name
        self.original = os.dup(fd)
        self.read_fd, write_fd = os.pipe()
        os.set_blocking(self.read_fd, False)
        os.dup2(write_fd, fd)
        os.close(write_fd)
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        # Reentrant: a write that catches up on children's output (ChildWrites) may come from a
        # signal handler running in the thread that is draining.
        self.lock = threading.RLock()

    def restore(self) -> None:
        os.dup2(self.original, self.fd)
        os.close(self.read_fd)


class ChildWrites:
    """Whether a forked child wrote to the captured descriptors since the kernel last drained
    them: one byte shared (``MAP_SHARED``) with every child forked after it was made."""

    def __init__(self, drain: Callable[[], None]) -> None:
        self.flag = mmap.mmap(-1, 1)  # anonymous and shared: children see the parent's page
        self._drain = drain

    def child_wrote(self) -> None:
        """In a forked child, after its text is in the pipe."""
        self.flag[0] = 1

    def catch_up(self) -> None:
        """In the kernel, before publishing its own text: route what children wrote before it.
        The flag is cleared before draining, so a write that lands meanwhile sets it again."""
        if self.flag[0]:
            self.flag[0] = 0
            self._drain()


class FdCapture:
    """Captures fds 1 and 2 for the kernel's lifetime (see the module docstring)."""

    def __init__(self, outbox: Outbox, running: RunningCells, on_give_up: GiveUp) -> None:
        """``on_give_up``: called if the reader thread keeps failing (the kernel shuts down)."""
        self.outbox = outbox
        self._on_give_up = on_give_up
        self.running = running
        self._pipes: list[_Pipe] = []
        self._stop_r, self._stop_w = -1, -1
        self._thread: threading.Thread | None = None
        self._libc_fflush = _libc_fflush()
        self.child_writes = ChildWrites(self.drain)

    @property
    def thread(self) -> threading.Thread | None:
        """The reader thread, once installed."""
        return self._thread

    # ------------------------------------------------------------ lifecycle
    @staticmethod
    def originals() -> tuple[TextIO, TextIO]:
        """Text streams on what fds 1 and 2 are now, before :meth:`install` swaps them (for the
        kernel's own log and for output outside any request): new descriptors of their own."""
        out, err = (
            os.fdopen(os.dup(fd), "w", buffering=1, encoding="utf-8", errors="replace") for fd, _ in STREAMS
        )
        return out, err

    def install(self) -> None:
        """Swap fds 1 and 2 for pipes (what was written to them goes to the originals first)."""
        for stream in (sys.__stdout__, sys.__stderr__):
            if stream is not None:
                with contextlib.suppress(OSError, ValueError):
                    stream.flush()
        self._pipes = [_Pipe(fd, name) for fd, name in STREAMS]
        self._stop_r, self._stop_w = os.pipe()
        self._thread = threading.Thread(target=self._supervised, name="braid-fdcapture", daemon=True)
        self._thread.start()

    def uninstall(self) -> None:
        """Read what is left, put the original descriptors back, stop the thread."""
        if not self._pipes:
            return
        self.drain()
        with contextlib.suppress(OSError):
            os.write(self._stop_w, b"x")
        if self._thread is not None:
            self._thread.join(timeout=1.0)
        for pipe in self._pipes:
            with pipe.lock:
                pipe.restore()
        os.close(self._stop_r)
        os.close(self._stop_w)
        self._pipes = []

    # ------------------------------------------------------------ cells
    def cell_started(self, key: int, request: Request | None) -> None:
        if request is not None:
            self.running.started(key, request)

    def cell_finished(self, key: int) -> None:
        """Publish the cell's pending fd output, then forget the cell."""
        self.drain()
        self.running.finished(key)

    # ------------------------------------------------------------ reading
    def drain(self) -> None:
        """Flush C stdio and route everything the pipes hold now (any thread)."""
        if self._libc_fflush is not None:
            self._libc_fflush(None)
        for pipe in self._pipes:
            self._read(pipe)

    def _supervised(self) -> None:
        supervise("fd-capture", self._read_loop, self._on_give_up)

    def _read_loop(self) -> None:
        by_fd = {p.read_fd: p for p in self._pipes}
        watched = [*by_fd, self._stop_r]
        while True:
            try:
                ready, _, _ = select.select(watched, [], [])
            except (OSError, ValueError):
                return
            if self._stop_r in ready:
                return
            for fd in ready:
                self._read(by_fd[fd])

    def _read(self, pipe: _Pipe) -> None:
        with pipe.lock:
            chunks = []
            while True:
                try:
                    chunk = os.read(pipe.read_fd, CHUNK)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError:
                    return
                if not chunk:
                    break
                chunks.append(chunk)
            if chunks:
                self._route(pipe, b"".join(chunks))

    def _route(self, pipe: _Pipe, data: bytes) -> None:
        request = self.running.target()
        if request is None:
            with contextlib.suppress(OSError):
                os.write(pipe.original, data)
            return
        text = pipe.decoder.decode(data)
        if text and not request.silent:
            self.outbox.stream(request.msg.header, pipe.name, text)


def _libc_fflush() -> ctypes._NamedFuncPointer | None:
    """libc's ``fflush`` (``fflush(NULL)`` flushes every C stdio stream)."""
    try:
        libc = ctypes.CDLL(None)
        fflush = libc.fflush
    except (OSError, AttributeError):
        return None
    fflush.argtypes = [ctypes.c_void_p]
    fflush.restype = ctypes.c_int
    return fflush
