"""``pdb.set_trace()`` and ``breakpoint()`` open IPython's debugger, as in ipykernel.

The kernel's process hooks (:mod:`braid_kernel.process_hooks`) point the ``pdb`` module's
``Pdb`` and ``set_trace`` at :func:`kernel_pdb`'s class and :func:`set_trace`, once ``pdb`` is
imported (by a cell, ``breakpoint()`` or IPython's ``%debug``/``%pdb``): IPython's interruptible
debugger (``ipdb>`` prompt, coloured source context, completion; an interrupt while it waits
for a command ends the debugging session).
It is created with ``nosigint=True``: pdb's ``continue`` would otherwise install its own SIGINT
handler, and the kernel's next interrupt would re-enter the debugger instead of interrupting
the cell.  ``breakpoint()`` goes through ``pdb.set_trace`` unless ``PYTHONBREAKPOINT`` says
otherwise.

Nothing here imports ``pdb`` or IPython's debugger until a debugger is wanted: the class is made
on the first call of :func:`kernel_pdb` (one class per process, so ``isinstance`` holds), and is
also this module's ``KernelPdb`` (what pickle and ``repr`` name it by).
"""

from __future__ import annotations

import functools
import sys
from types import FrameType
from typing import Any


@functools.cache
def kernel_pdb() -> type[Any]:
    """The kernel's debugger class: IPython's interruptible debugger that leaves SIGINT to the
    kernel.  Made (and IPython's debugger, with ``pdb``, imported) on the first call."""
    from IPython.core.debugger import InterruptiblePdb

    class KernelPdb(InterruptiblePdb):  # type: ignore[misc]
        """IPython's interruptible debugger that leaves SIGINT to the kernel."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("nosigint", True)
            super().__init__(*args, **kwargs)

    KernelPdb.__qualname__ = "KernelPdb"  # found as this module's attribute (__getattr__)
    return KernelPdb


def __getattr__(name: str) -> Any:
    if name == "KernelPdb":
        return kernel_pdb()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def set_trace(frame: FrameType | None = None, header: str | None = None) -> None:
    """Start the kernel's debugger (:func:`kernel_pdb`) in ``frame`` (default: the caller's)."""
    debugger = kernel_pdb()()
    if header is not None:
        debugger.message(header)
    debugger.set_trace(frame or sys._getframe().f_back)
