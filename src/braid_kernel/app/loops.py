"""The main thread's event loop: which backend runs the main shell, and what hosts it.

Without a GUI loop the backend runs as usual (``anyio.run``; asyncio optionally on uvloop).  With
``--loop tk|qt`` the toolkit's main loop owns the main thread and the backend runs as its guest
(the gui feature, :mod:`braid_kernel.features.gui.engine`).  :func:`check_loop` runs before
anything is built, so a missing library or display fails at startup with a message naming what to
install or set.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import anyio

from braid_kernel.app.config import KernelConfig
from braid_kernel.engine.modes import Backend
from braid_kernel.errors import ConfigError

__all__ = ("check_loop", "run_main")


def _require(module: str, hint: str) -> None:
    try:
        importlib.import_module(module)
    except ImportError as exc:
        raise ConfigError(f"{hint} ({module} failed to import: {exc})") from exc


def check_loop(config: KernelConfig) -> None:
    """Raise :class:`ConfigError` when the configured backend, uvloop or GUI loop cannot run here."""
    if config.backend is Backend.TRIO:
        _require("trio", "the trio backend needs trio: pip install trio (or 'braid-kernel[trio]')")
    if config.uvloop:
        _require(
            "uvloop",
            "--uvloop needs uvloop, which is not installed: pip install uvloop "
            "(or 'braid-kernel[uvloop]'), or start without --uvloop",
        )
    if config.loop is not None:
        from braid_kernel.features.gui.engine import check_gui

        check_gui(config.loop, config.backend)


def run_main(config: KernelConfig, main: Callable[[], Awaitable[None]]) -> None:
    """Run ``main`` on the main thread's loop until it returns (blocks)."""
    if config.loop is not None:
        from braid_kernel.features.gui.engine import run_guest
        from braid_kernel.process_hooks import WakeupFd

        run_guest(config.loop, config.backend, main, wakeup=WakeupFd)
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
