"""braid-kernel: an asynchronous Python Jupyter kernel.

Cells run as tasks on an anyio event loop; the sockets, heartbeat and control
channel live on their own threads, so the kernel never stops answering.
"""

from __future__ import annotations

from braid_kernel.engine.modes import Backend, Mode, parse_modes
from braid_kernel.errors import BraidError, ConfigError

__version__ = "0.1.0"

__all__ = ("Backend", "BraidError", "ConfigError", "Mode", "__version__", "parse_modes")
