"""``pdb.set_trace()`` and ``breakpoint()`` open IPython's debugger, as in ipykernel.

The kernel's process hooks (:mod:`braid_kernel.process_hooks`) point the ``pdb`` module's
``Pdb`` and ``set_trace`` at :class:`KernelPdb` and :func:`set_trace`: IPython's interruptible
debugger (``ipdb>`` prompt, coloured source context, completion; an interrupt while it waits
for a command ends the debugging session).
It is created with ``nosigint=True``: pdb's ``continue`` would otherwise install its own SIGINT
handler, and the kernel's next interrupt would re-enter the debugger instead of interrupting
the cell.  ``breakpoint()`` goes through ``pdb.set_trace`` unless ``PYTHONBREAKPOINT`` says
otherwise.
"""

from __future__ import annotations

import sys
from types import FrameType
from typing import Any

from IPython.core.debugger import InterruptiblePdb


class KernelPdb(InterruptiblePdb):  # type: ignore[misc]
    """IPython's interruptible debugger that leaves SIGINT to the kernel."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("nosigint", True)
        super().__init__(*args, **kwargs)


def set_trace(frame: FrameType | None = None, header: str | None = None) -> None:
    """Start :class:`KernelPdb` in ``frame`` (default: the caller's)."""
    debugger = KernelPdb()
    if header is not None:
        debugger.message(header)
    debugger.set_trace(frame or sys._getframe().f_back)
