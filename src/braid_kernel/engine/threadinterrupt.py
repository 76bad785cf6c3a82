"""Interrupting cells that block a thread other than the main thread (subshells).

Signals reach only the main thread, so a subshell cell blocked in sync code
needs another way in.  :meth:`ThreadInterrupts.interrupt` raises
``KeyboardInterrupt`` in such a thread:

* a cell in ``time.sleep`` — the commonest blocking call in a notebook — is
  woken at once: :meth:`ThreadInterrupts.install` replaces ``time.sleep`` with
  a version that, on a registered thread, waits on that thread's event
  instead of sleeping in C (other threads sleep as before); it passes for
  ``time.sleep`` (name, signature, pickles by reference: see
  :mod:`~braid_kernel.engine.standin`);
* a cell running Python code (a loop) gets the exception asynchronously
  (``PyThreadState_SetAsyncExc``), at its next bytecode.

A thread blocked in another C call (a socket read, a lock without timeout)
gets it only when that call returns.  The caller decides whether the thread
runs cell code (raising in kernel code would break the subshell's loop).
"""

from __future__ import annotations

import ctypes
import functools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import SupportsIndex

from braid_kernel.engine.standin import stand_in


class _Slot:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.wake = threading.Event()
        self.sleeping = False
        self.reason = ""


class ThreadInterrupts:
    """Registered threads that :meth:`interrupt` can reach; thread-safe."""

    def __init__(self) -> None:
        self._slots: dict[int, _Slot] = {}
        self._original: Callable[[float | SupportsIndex], None] | None = None
        self._installed: Callable[[float | SupportsIndex], None] | None = None

    def install(self) -> None:
        """Replace ``time.sleep`` by a function that calls :meth:`sleep` and passes for
        ``time.sleep`` (see :mod:`~braid_kernel.engine.standin`); idempotent."""
        if self._original is None:
            self._original = time.sleep

            @stand_in(self._original)
            def sleep(seconds: float | SupportsIndex, /) -> None:
                self.sleep(seconds)

            self._installed = time.sleep = sleep

    def uninstall(self) -> None:
        if self._original is not None and time.sleep is self._installed:
            time.sleep = self._original
        self._original = self._installed = None

    @contextmanager
    def registered(self) -> Iterator[None]:
        """Make the current thread interruptible while the block runs."""
        ident = threading.get_ident()
        self._slots[ident] = _Slot()
        try:
            yield
        finally:
            self._slots.pop(ident, None)

    def sleep(self, seconds: float | SupportsIndex, /) -> None:
        """``time.sleep`` that a registered thread's interrupt cuts short."""
        slot = self._slots.get(threading.get_ident())
        original = self._original or _SLEEP
        if slot is None or not isinstance(seconds, int | float) or seconds < 0:
            original(seconds)  # time.sleep's own behaviour and errors
            return
        with slot.lock:
            slot.sleeping = True
        try:
            slot.wake.wait(float(seconds))
        finally:
            with slot.lock:  # an interrupt that came as the wait timed out still counts
                slot.sleeping = False
                woken = slot.wake.is_set()
                slot.wake.clear()
        if woken:
            raise KeyboardInterrupt(slot.reason) if slot.reason else KeyboardInterrupt

    def interrupt(self, thread: threading.Thread, reason: str = "") -> bool:
        """Raise ``KeyboardInterrupt`` (with ``reason``) in ``thread``, which
        must be running cell code; False if it is not registered."""
        ident = thread.ident
        slot = self._slots.get(ident or -1)
        if ident is None or slot is None:
            return False
        with slot.lock:
            slot.reason = reason
            if slot.sleeping:
                slot.wake.set()
                return True
        exc = _with_reason(reason) if reason else KeyboardInterrupt
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), ctypes.py_object(exc))
        return True


@functools.cache
def _with_reason(reason: str) -> type[KeyboardInterrupt]:
    """A ``KeyboardInterrupt`` class whose instances carry ``reason``: an
    asynchronous exception is raised from its class, so the message must be
    the class's default."""

    def __init__(self: KeyboardInterrupt, *args: object) -> None:
        KeyboardInterrupt.__init__(self, *(args or (reason,)))

    return type("KeyboardInterrupt", (KeyboardInterrupt,), {"__init__": __init__, "__module__": "builtins"})


_SLEEP = time.sleep
