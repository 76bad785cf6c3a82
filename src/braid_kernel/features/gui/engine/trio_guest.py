"""trio as the guest of a GUI loop, through trio's own guest mode (``start_guest_run``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from braid_kernel.features.gui.engine.hosts import GuiHost

__all__ = ("TrioGuest",)


class TrioGuest:
    """Runs ``main()`` on trio, with trio's I/O waits on its own thread and its steps on the host."""

    def __init__(self, host: GuiHost, main: Callable[[], Awaitable[None]]) -> None:
        self._host = host
        self._main = main
        self._outcome: Any = None
        self.done = False

    def start(self) -> None:
        import trio

        trio.lowlevel.start_guest_run(
            self._main,
            run_sync_soon_threadsafe=self._host.call_soon_threadsafe,
            done_callback=self._on_done,
            # trio may own signal.set_wakeup_fd: a signal then wakes its I/O thread, which
            # schedules a step on the GUI thread, where the Python-level handler runs.
            host_uses_signal_set_wakeup_fd=False,
        )

    def _on_done(self, outcome: Any) -> None:
        self._outcome, self.done = outcome, True
        self._host.stop()

    def finish(self) -> None:
        """Re-raise ``main``'s error, if it ended with one."""
        if self._outcome is not None:
            self._outcome.unwrap()
