"""Interrupts: KeyboardInterrupt for blocking code, cancellation for awaiting code.

Every interrupt (interrupt_request or a raw SIGINT) ends in the SIGINT
handler on the main thread.  If the main thread is executing a cell's own
top-level code — blocked in ``time.sleep``, spinning in a loop, waiting for
``input()`` — the handler raises KeyboardInterrupt right there, as Python
does.  Otherwise the loop is idle or running kernel code: raising would hit
the kernel, so the handler asks the loop to cancel the running cells
instead.  Either way the kernel lives on; SIGINT never kills it.

A cell's top-level code on the stack is not enough to raise: an awaiting cell
runs trio's own code on its way to the loop (``await trio.sleep`` enters a cancel
scope, then waits), and a KeyboardInterrupt raised there leaves trio's state
half-changed ("Cancel scope stack corrupted").  Where the loop's library protects
the interrupted code from KeyboardInterrupt (:meth:`LoopBridge.ki_protected`),
the handler does not raise.  For an interrupt it delivers
(:meth:`Interrupter.interrupt`) it holds the interrupt: the sender sends SIGINT
again (not only the wake-up signal) until the handler runs outside that code,
where it raises into a cell that computes or cancels a cell that has reached its
wait.  A raw SIGINT there has no sender to repeat it: the handler cancels the
cells, as trio's own SIGINT handler defers to the loop, so an awaiting cell ends
at its wait; a cell that computes on without awaiting is not interrupted by that
signal.

An interrupt hits what ran when it arrived (``at``: the interrupt_request's
arrival, or the moment a raw SIGINT is handled): a cell whose request arrived
later is neither raised into nor aborted, so an interrupt pressed while the
kernel is idle changes nothing.

A signal that lands just before the main thread enters a blocking call
(``time.sleep``, the loop's ``select``) is only handled when that call
returns, so :meth:`Interrupter.interrupt` sends SIGINT once and then, every
``RESEND_INTERVAL`` until the handler acknowledges it, :data:`WAKE_SIGNAL`: its
handler does nothing, but its arrival makes the blocking call return and Python
then runs the pending SIGINT handler.  Every SIGINT is therefore an interrupt of
its own, however soon it follows another (``kill -INT`` aimed at the next cell
is never taken for a copy; re-sending SIGINT itself needed a time window to tell
copies apart, which a loaded machine overran).  SIGURG is the wake-up because
its default action is to ignore it: one that arrives after the kernel has given
its handlers back kills nothing.  When the
user's code has installed a SIGINT handler of its own (or pdb left its one),
the signal is sent once: that handler is called exactly once per interrupt.

In multi mode an interrupt belongs to one session: ``interrupt(only=namespace)``
raises KeyboardInterrupt only if the cell code on the main thread runs in that
session's namespace (its frame's globals), and cancels nothing itself (the
caller cancels that session's awaiting cells).
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

from braid_kernel.engine.cell import current_cell
from braid_kernel.engine.cellfiles import CellFiles
from braid_kernel.routing.loopbridge import LoopBridge

RESEND_INTERVAL = 0.05
RESEND_FOR = 2.0
#: Sent to the main thread to end a blocking call, so that a pending SIGINT handler runs.
WAKE_SIGNAL = signal.SIGURG


class Interrupter:
    """Installs the SIGINT handler and delivers interrupts to the main thread."""

    def __init__(self, cell_files: CellFiles) -> None:
        self._cells = cell_files
        self._bridge: LoopBridge | None = None
        self._cancel_cells: Callable[[float], None] | None = None
        self._main_ident = threading.main_thread().ident
        self._acknowledged = threading.Event()
        self._lock = threading.Lock()
        self._only: dict[str, Any] | None = None  # the namespace an interrupt is limited to
        self._at: float | None = None  # when the interrupt being delivered arrived
        self._held = False  # the handler ran in the loop's protected code: send SIGINT again

    def attach(self, bridge: LoopBridge, cancel_cells: Callable[[float], None]) -> None:
        """Connect to the main shell's loop once it runs; ``cancel_cells(at)`` cancels
        the awaiting cells (on the loop), ``at`` being when the interrupt arrived."""
        self._bridge, self._cancel_cells = bridge, cancel_cells

    def install(self) -> None:
        """Take over SIGINT, and the wake-up signal (call on the main thread)."""
        signal.signal(signal.SIGINT, self._on_sigint)
        signal.signal(WAKE_SIGNAL, _woken)

    def reclaim(self) -> None:
        """Take SIGINT back if a cell left a handler of its own installed (pdb's, after
        ``c``, or the user's): as in ipykernel, a handler set in a cell lasts until the
        cell ends.  Does nothing off the main thread."""
        if threading.get_ident() != self._main_ident or self._is_ours(signal.getsignal(signal.SIGINT)):
            return
        signal.signal(signal.SIGINT, self._on_sigint)

    def interrupt(self, only: dict[str, Any] | None = None, at: float | None = None) -> None:
        """Interrupt the main thread from any thread other than it (as a SIGINT
        would); returns once the handler has run, or after ``RESEND_FOR``.

        ``at`` (time.monotonic(), default now) is when the interrupt arrived: a cell
        whose request arrived later is left alone.  With ``only`` (a namespace), the
        main thread gets KeyboardInterrupt only when it runs the top-level code of a
        cell in that namespace, and nothing else happens.
        """
        if self._main_ident is None:
            return
        with self._lock:  # one interrupt at a time
            self._only, self._at = only, time.monotonic() if at is None else at
            self._acknowledged.clear()
            self._held = False
            deadline = time.monotonic() + RESEND_FOR
            try:
                signal.pthread_kill(self._main_ident, signal.SIGINT)
                if not self._is_ours(signal.getsignal(signal.SIGINT)):
                    return  # someone else's handler: it gets this interrupt once
                while not self._acknowledged.wait(RESEND_INTERVAL) and time.monotonic() < deadline:
                    again, self._held = self._held, False
                    signal.pthread_kill(self._main_ident, signal.SIGINT if again else WAKE_SIGNAL)
            finally:
                self._only = self._at = None
                self._held = False

    def _is_ours(self, handler: object) -> bool:
        return handler == self._on_sigint  # a bound method: equal, not identical

    def in_cell_code(self, frame: FrameType | None, namespace: dict[str, Any] | None = None) -> bool:
        """True when ``frame``'s stack runs a cell's top-level code (in ``namespace``, if given)."""
        while frame is not None:
            code = frame.f_code
            if code.co_name == "<module>" and self._cells.is_cell(code.co_filename):
                return namespace is None or frame.f_globals is namespace
            frame = frame.f_back
        return False

    def _on_sigint(self, signum: int, frame: FrameType | None) -> None:
        del signum
        now = time.monotonic()
        only, at = self._only, self._at if self._at is not None else now
        if self.in_cell_code(frame, only):
            if self._loop_protects_this_code():
                if self._at is not None:  # interrupt() waits for this handler: it sends SIGINT again
                    self._held = True
                    return
                # else a raw SIGINT in the loop's protected code: the cells are cancelled instead
            else:
                cell = current_cell.get()  # the handler runs in the interrupted code's context
                if cell is None or cell.received <= at:
                    self._acknowledged.set()
                    raise KeyboardInterrupt
                # else a cell sent after the interrupt: not what the user meant to stop
        self._acknowledged.set()
        if only is None and self._bridge is not None and self._cancel_cells is not None:
            cancel = self._cancel_cells
            self._bridge.call_soon(lambda: cancel(at))

    def _loop_protects_this_code(self) -> bool:
        """Whether the loop's library protects the code the handler interrupted (the handler's
        caller, where :meth:`LoopBridge.ki_protected` looks) from KeyboardInterrupt."""
        return self._bridge is not None and self._bridge.ki_protected()


def _woken(signum: int, frame: FrameType | None) -> None:
    """The wake-up signal's handler: its arrival was the point (see the module's docstring)."""
    del signum, frame
