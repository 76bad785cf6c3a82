"""The main thread's event loop: which backend runs the main shell, and what hosts it.

Without a GUI loop the backend runs as usual (``anyio.run``; asyncio optionally on uvloop).  With
``--loop tk|qt`` the toolkit's main loop owns the main thread and the backend runs as its guest:
the gui feature gives the kernel that host (a :data:`~braid_kernel.features.base.MainLoopHost`,
checked when the feature is built), and :func:`run_main` runs it.  :func:`check_loop` runs before
anything is built, so a missing backend library fails at startup with a message naming what to
install.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib
import socket
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import anyio

from braid_kernel.app.config import KernelConfig
from braid_kernel.engine.modes import Backend
from braid_kernel.errors import ConfigError

if TYPE_CHECKING:  # imported before the sockets bind: nothing heavy at run time
    from braid_kernel.features.base import MainLoopHost

__all__ = ("check_loop", "run_main")


def _require(module: str, hint: str) -> None:
    try:
        importlib.import_module(module)
    except ImportError as exc:
        raise ConfigError(f"{hint} ({module} failed to import: {exc})") from exc


def check_loop(config: KernelConfig) -> None:
    """Raise :class:`ConfigError` when the configured backend or uvloop cannot run here (the GUI
    loop is checked by the gui feature, as the kernel is built)."""
    if config.backend is Backend.TRIO:
        _require("trio", "the trio backend needs trio: pip install trio (or 'braid-kernel[trio]')")
    if config.uvloop:
        _require(
            "uvloop",
            "--uvloop needs uvloop, which is not installed: pip install uvloop "
            "(or 'braid-kernel[uvloop]'), or start without --uvloop",
        )


def run_main(
    config: KernelConfig, main: Callable[[], Awaitable[None]], host: MainLoopHost | None = None
) -> None:
    """Run ``main`` on the main thread's loop until it returns (blocks); ``host``: a feature's
    loop hosting it (the GUI loop's)."""
    if host is not None:
        from braid_kernel.process_hooks import WakeupFd  # by now imported: the kernel is built

        host(main, WakeupFd)
        return
    options: dict[str, Any] = {"use_uvloop": True} if config.uvloop else {}
    if config.backend is Backend.ASYNCIO and not config.uvloop:
        main = functools.partial(_waking_on_signals, main)
    anyio.run(main, backend=config.backend.value, backend_options=options)


async def _waking_on_signals(main: Callable[[], Awaitable[None]]) -> None:
    """Run ``main`` with the asyncio loop woken by every signal.

    A SIGINT sent to the process (``kill -INT``) may be delivered to any thread that does not
    block it; Python runs the handler on the main thread, but only once that thread runs bytecode
    again.  trio and uvloop wake their loop through ``signal.set_wakeup_fd``; a plain asyncio
    loop does so only for its own ``add_signal_handler``, so an interrupt landing on another
    thread waited until the loop's ``select`` timed out (up to an awaiting cell's whole sleep).
    Here the wake-up fd is a socket the loop watches."""
    loop = asyncio.get_running_loop()
    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)

    def drain() -> None:
        with contextlib.suppress(OSError):
            reader.recv(4096)

    from braid_kernel.process_hooks import WakeupFd  # by now imported: the kernel is built

    wakeup = WakeupFd(writer.fileno())
    wakeup.install()
    loop.add_reader(reader.fileno(), drain)
    try:
        await main()
    finally:
        loop.remove_reader(reader.fileno())
        wakeup.uninstall()
        reader.close()
        writer.close()
