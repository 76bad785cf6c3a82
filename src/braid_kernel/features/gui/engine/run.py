"""Running the kernel's main loop as the guest of a GUI loop."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from braid_kernel.engine.modes import Backend, GuiLoop, WakeupHook
from braid_kernel.features.gui.engine.asyncio_guest import AsyncioGuest
from braid_kernel.features.gui.engine.hosts import make_host
from braid_kernel.features.gui.engine.trio_guest import TrioGuest

__all__ = ("run_guest",)

log = logging.getLogger("braid_kernel.gui")


def run_guest(
    loop: GuiLoop,
    backend: Backend,
    main: Callable[[], Awaitable[None]],
    *,
    wakeup: Callable[[int], WakeupHook],
) -> None:
    """Run ``main`` on ``backend`` inside ``loop``'s main loop, on this (the main) thread, until
    ``main`` returns; re-raises its error; ``wakeup``: see
    :class:`~braid_kernel.features.gui.engine.asyncio_guest.AsyncioGuest`.  A cell that quits the
    toolkit's loop (``root.quit()``, ``app.quit()``) does not end the kernel: the loop is entered
    again until ``main`` is done."""
    host = make_host(loop)
    guest: AsyncioGuest | TrioGuest
    guest = TrioGuest(host, main) if backend is Backend.TRIO else AsyncioGuest(host, main, wakeup=wakeup)
    try:
        guest.start()
        while not guest.done:
            host.run()
            if not guest.done:
                log.info("the %s main loop was quit by user code: entering it again", host.name)
        guest.finish()
    finally:
        host.close()
