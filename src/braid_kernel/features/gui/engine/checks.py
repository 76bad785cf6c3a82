"""Can this process host a GUI loop?  Checked at startup, before anything is built."""

from __future__ import annotations

import asyncio
import importlib
import os
import sys

from braid_kernel.engine.modes import Backend, GuiLoop
from braid_kernel.errors import ConfigError
from braid_kernel.pythons import require_internals

__all__ = ("ASYNCIO_GUEST_LOOP_INTERNALS", "check_gui")

# What asyncio_guest.py uses of asyncio's event loop beyond its public API (Python 3.11).
ASYNCIO_GUEST_LOOP_INTERNALS = ("_run_once", "_asyncgen_firstiter_hook", "_asyncgen_finalizer_hook")


def _needs_display() -> bool:
    """X11/Wayland platforms need a display server; macOS and Windows always have one."""
    return sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd"))


def check_gui(loop: GuiLoop, backend: Backend) -> None:
    """Raise :class:`ConfigError` naming what to install or set when ``loop`` cannot host
    ``backend`` here."""
    if backend is Backend.ASYNCIO:  # asyncio as a guest drives its private loop iteration
        needed_for = f"--loop {loop.value} on asyncio"
        require_internals(asyncio.BaseEventLoop, ASYNCIO_GUEST_LOOP_INTERNALS, needed_for)
        require_internals(asyncio, ("_set_running_loop",), needed_for)
    if loop is GuiLoop.TK:
        _check_tk()
    else:
        _check_qt()


def _check_tk() -> None:
    try:
        importlib.import_module("tkinter")
    except ImportError as exc:
        raise ConfigError(
            f"--loop tk needs Tk support in this Python ({exc}): install your Python's tkinter "
            "(Debian/Ubuntu: apt install python3-tk; pyenv: install tk-dev, then rebuild Python), "
            "or start without --loop"
        ) from exc
    if _needs_display() and not os.environ.get("DISPLAY"):
        raise ConfigError(
            "--loop tk needs a display and DISPLAY is not set: set DISPLAY to an X server "
            "(for a virtual one: Xvfb :99 & export DISPLAY=:99), or start without --loop"
        )


def _check_qt() -> None:
    try:
        importlib.import_module("PySide6.QtWidgets")
    except ImportError as exc:
        raise ConfigError(
            f"--loop qt needs PySide6 ({exc}): pip install 'braid-kernel[qt]' "
            "(or pip install PySide6-Essentials), or start without --loop"
        ) from exc
    display = any(os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))
    if _needs_display() and not display:
        raise ConfigError(
            "--loop qt needs a display: set DISPLAY (or WAYLAND_DISPLAY), or QT_QPA_PLATFORM=offscreen "
            "to run without one, or start without --loop"
        )
