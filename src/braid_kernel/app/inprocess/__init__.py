"""The kernel in-process: the same kernel driven from Python, without ZeroMQ.

See :class:`InProcessKernel` (lifecycle, threads, process-wide hooks),
:class:`InProcessClient` (awaitable requests) and :class:`Connection` (the
callback form for hosts that relay message dicts).
"""

from __future__ import annotations

from braid_kernel.app.inprocess.client import InProcessClient
from braid_kernel.app.inprocess.connection import Connection
from braid_kernel.app.inprocess.kernel import InProcessKernel

__all__ = ("Connection", "InProcessClient", "InProcessKernel")
