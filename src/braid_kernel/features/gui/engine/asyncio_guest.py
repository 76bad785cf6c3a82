"""asyncio as the guest of a GUI loop: the loop's iterations run as callbacks of the GUI thread.

asyncio has no guest mode, so this module builds one.  An asyncio loop iteration (``_run_once``,
the body of ``run_forever``; stable since Python 3.4) is: compute how long to wait, ``select``
on the selector, then run what became ready.  Only the wait may block, so the selector is wrapped
(:class:`HandoffSelector`): a wait that would block is handed to a helper thread and the
iteration returns at once; when the helper's ``select`` returns, the next iteration is scheduled
on the GUI thread, and that iteration's ``select`` call receives the helper's events.  Everything
else — callbacks, tasks, cells — runs on the GUI thread between toolkit events.

While the helper waits, anything that may shorten the wait (a callback or timer scheduled from a
toolkit callback, a new reader) wakes it through a socket pair of the selector's own;
``call_soon_threadsafe`` already wakes it through the loop's self-pipe, and a signal through
``signal.set_wakeup_fd``.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import enum
import selectors
import socket
import sys
import threading
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVarTuple, Unpack

from braid_kernel.engine.modes import WakeupHook
from braid_kernel.features.gui.engine.hosts import GuiHost

__all__ = ("AsyncioGuest", "HandoffSelector")

_Events = list[tuple[selectors.SelectorKey, int]]
_Ts = TypeVarTuple("_Ts")


class _State(enum.Enum):
    IDLE = "idle"  # no wait in progress; select runs here, non-blocking
    WAITING = "waiting"  # the helper thread blocks in select
    READY = "ready"  # the helper's events wait for the next iteration


class HandoffSelector(selectors.BaseSelector):
    """A selector whose blocking waits happen on a helper thread."""

    def __init__(self, on_ready: Callable[[], None]) -> None:
        self._real = selectors.DefaultSelector()
        self._on_ready = on_ready
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._real.register(self._wake_r, selectors.EVENT_READ, self)
        self._cond = threading.Condition()
        self._state = _State.IDLE
        self._timeout: float | None = None
        self._events: _Events = []
        self._error: BaseException | None = None
        self._closing = False
        self.direct = False  # True: behave as a plain selector (after the guest run)
        self._thread = threading.Thread(target=self._serve, name="braid-asyncio-select", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------ the loop's side (GUI thread)
    @property
    def waiting(self) -> bool:
        """Whether the helper holds the wait (the next iteration comes from :attr:`on_ready`)."""
        return self._state is _State.WAITING

    def select(self, timeout: float | None = None) -> _Events:
        if self.direct:
            return self._filtered(self._real.select(timeout))
        with self._cond:
            if self._state is _State.READY:
                self._state = _State.IDLE
                events, self._events = self._events, []
                error, self._error = self._error, None
                if error is not None:
                    raise error
                return events
            if self._state is _State.WAITING:  # cannot happen in a guest run: no blocking here
                return []
            if timeout is not None and timeout <= 0:
                return self._filtered(self._real.select(0))
            self._state, self._timeout = _State.WAITING, timeout
            self._cond.notify()
            return []

    def settle(self) -> None:
        """End the guest run's hand-off (GUI thread): stop a pending wait and select directly from
        now on; events the helper found are dropped (level-triggered, they are reported again)."""
        with self._cond:
            self.direct = True
            while self._state is _State.WAITING:
                with contextlib.suppress(BlockingIOError, OSError):
                    self._wake_w.send(b"\0")
                self._cond.wait(0.05)
            self._state, self._events, self._error = _State.IDLE, [], None

    def wakeup_fileno(self) -> int:
        """A non-blocking fd whose writes cut the helper's wait short (for ``signal.set_wakeup_fd``)."""
        return self._wake_w.fileno()

    def wake(self) -> None:
        """Cut the helper's wait short (any thread); a no-op when it is not waiting."""
        if self._state is _State.WAITING:
            with contextlib.suppress(BlockingIOError, OSError):
                self._wake_w.send(b"\0")

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        key = self._real.register(fileobj, events, data)
        self.wake()
        return key

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        return self._real.unregister(fileobj)

    def modify(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        key = self._real.modify(fileobj, events, data)
        self.wake()
        return key

    def get_map(self) -> Mapping[Any, selectors.SelectorKey]:
        return self._real.get_map()

    def close(self) -> None:
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        self.wake()
        self._thread.join(timeout=5)
        self._real.close()
        self._wake_r.close()
        self._wake_w.close()

    # ------------------------------------------------------------ the helper thread
    def _serve(self) -> None:
        while True:
            with self._cond:
                while self._state is not _State.WAITING and not self._closing:
                    self._cond.wait()
                if self._closing:
                    return
                timeout = self._timeout
            events: _Events = []
            error: BaseException | None = None
            try:
                events = self._filtered(self._real.select(timeout))
            except BaseException as exc:  # handed to the loop, which raises it
                error = exc
            with self._cond:
                self._events, self._error, self._state = events, error, _State.READY
                self._cond.notify_all()
                if self.direct:
                    continue
            self._on_ready()

    def _filtered(self, events: _Events) -> _Events:
        """The events without this selector's own wake-up (which is drained)."""
        kept = []
        for key, mask in events:
            if key.data is self:
                with contextlib.suppress(BlockingIOError, OSError):
                    self._wake_r.recv(4096)
            else:
                kept.append((key, mask))
        return kept


class _GuestLoop(asyncio.SelectorEventLoop):
    """A selector loop that wakes its helper whenever new work may shorten the wait."""

    _selector: HandoffSelector

    def call_soon(
        self,
        callback: Callable[[Unpack[_Ts]], object],
        *args: *_Ts,
        context: contextvars.Context | None = None,
    ) -> asyncio.Handle:
        handle = super().call_soon(callback, *args, context=context)
        self._selector.wake()
        return handle

    def call_at(
        self,
        when: float,
        callback: Callable[[Unpack[_Ts]], object],
        *args: *_Ts,
        context: contextvars.Context | None = None,
    ) -> asyncio.TimerHandle:
        handle = super().call_at(when, callback, *args, context=context)
        self._selector.wake()
        return handle


class AsyncioGuest:
    """Runs ``main()`` on an asyncio loop whose iterations are GUI-thread callbacks; ``wakeup(fd)``
    makes the process hook that points the signal wake-up fd at ``fd`` while the guest runs."""

    def __init__(
        self, host: GuiHost, main: Callable[[], Awaitable[None]], *, wakeup: Callable[[int], WakeupHook]
    ) -> None:
        self._host = host
        self._main = main
        self._wakeup = wakeup
        self._selector = HandoffSelector(on_ready=lambda: host.call_soon_threadsafe(self._step))
        self.loop = _GuestLoop(self._selector)
        self._task: asyncio.Task[None] | None = None
        self._saved_hooks = sys.get_asyncgen_hooks()
        self._wakeup_hook: WakeupHook | None = None
        self.done = False

    def start(self) -> None:
        """Make the loop current on this (the GUI) thread and schedule its first iteration."""
        asyncio.set_event_loop(self.loop)
        # The GUI thread runs this loop for the whole guest run, so code in toolkit callbacks
        # (between iterations) sees it as the running loop, as code in asyncio callbacks does.
        asyncio._set_running_loop(self.loop)
        # What run_forever installs, so async generators are finalized on this loop.
        sys.set_asyncgen_hooks(
            firstiter=self.loop._asyncgen_firstiter_hook,  # type: ignore[attr-defined]
            finalizer=self.loop._asyncgen_finalizer_hook,  # type: ignore[attr-defined]
        )
        # A signal (an interrupt) wakes the helper, so an iteration runs on the GUI thread and the
        # Python-level handler with it, instead of when the toolkit next runs Python code.
        self._wakeup_hook = self._wakeup(self._selector.wakeup_fileno())
        self._wakeup_hook.install()
        self._task = self.loop.create_task(self._run_main())
        self._host.call_soon_threadsafe(self._step)

    async def _run_main(self) -> None:
        try:
            await self._main()
        finally:
            self.done = True
            self._host.call_soon_threadsafe(self._host.stop)

    def _step(self) -> None:
        if self.loop.is_closed() or self._selector.direct:
            return
        self.loop._run_once()  # type: ignore[attr-defined]  # one iteration of run_forever
        if not self._selector.waiting:
            self._host.call_soon_threadsafe(self._step)  # more is ready: toolkit events first

    def finish(self) -> None:
        """After the GUI loop returned: end the loop as ``asyncio.run`` does; re-raise ``main``'s
        error."""
        asyncio._set_running_loop(None)
        if self._wakeup_hook is not None:
            self._wakeup_hook.uninstall()
        self._selector.settle()
        sys.set_asyncgen_hooks(*self._saved_hooks)
        loop = self.loop
        try:
            pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            asyncio.set_event_loop(None)
            loop.close()
        if self._task is not None and self._task.done() and not self._task.cancelled():
            error = self._task.exception()
            if error is not None:
                raise error
