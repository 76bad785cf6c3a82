"""Running the kernel's main loop as the guest of a GUI loop."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from braid_kernel.app.config import GuiLoop
from braid_kernel.app.gui.asyncio_guest import AsyncioGuest
from braid_kernel.app.gui.hosts import make_host
from braid_kernel.app.gui.trio_guest import TrioGuest
from braid_kernel.engine.modes import Backend

__all__ = ("run_guest",)

log = logging.getLogger("braid_kernel.gui")


def run_guest(loop: GuiLoop, backend: Backend, main: Callable[[], Awaitable[None]]) -> None:
    """Run ``main`` on ``backend`` inside ``loop``'s main loop, on this (the main) thread, until
    ``main`` returns; re-raises its error.  A cell that quits the toolkit's loop (``root.quit()``,
    ``app.quit()``) does not end the kernel: the loop is entered again until ``main`` is done."""
    host = make_host(loop)
    guest: AsyncioGuest | TrioGuest
    guest = TrioGuest(host, main) if backend is Backend.TRIO else AsyncioGuest(host, main)
    try:
        guest.start()
        while not guest.done:
            host.run()
            if not guest.done:
                log.info("the %s main loop was quit by user code: entering it again", host.name)
        guest.finish()
    finally:
        host.close()
