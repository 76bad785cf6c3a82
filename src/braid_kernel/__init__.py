"""braid-kernel: an asynchronous Python Jupyter kernel.

Cells run as tasks on an anyio event loop; the sockets, heartbeat and control
channel live on their own threads, so the kernel never stops answering.
:class:`InProcessKernel` runs the same kernel inside a Python program, on its
event loop, without ZeroMQ (imported on first use: ``import braid_kernel``
stays cheap).
"""

from __future__ import annotations

from typing import Any

from braid_kernel.engine.modes import Backend, Mode, parse_modes
from braid_kernel.errors import BraidError, ConfigError

__version__ = "0.1.0"

__all__ = ("Backend", "BraidError", "ConfigError", "InProcessKernel", "Mode", "__version__", "parse_modes")

_LAZY = {"InProcessKernel": "braid_kernel.app.inprocess"}


def __getattr__(name: str) -> Any:
    """Import the heavy public names (IPython, the kernel) only when asked for.

    (No ``TYPE_CHECKING`` import either: every layer may import the package
    root, and the root must not depend on ``app``.)"""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'braid_kernel' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
