"""Context that persists from cell to cell: ContextVars, the decimal context.

Every request, cells included, runs in a task of its own, and a task runs in
a copy of its spawner's context: whatever a cell sets with
``ContextVar.set`` (``decimal.getcontext().prec = 5`` sets the decimal
context's variable too) would be gone in the next cell.  A
:class:`ContextCarry` (one per scheduler, so per shell, subshell and multi-mode
session) keeps it: :meth:`ContextCarry.enter` runs in the cell's task before
its code and sets the values carried so far; :meth:`ContextCarry.leave`, in
the same task after the code, records what the cell changed.

Only the cell's own changes are carried — the variables whose value at the
end differs from the value at :meth:`~ContextCarry.enter` — so the kernel's
variables (the current request and cell, which the dispatcher and runner set
outside that window) never pass from one cell to the next: each cell sees its
own request.  Variables whose name starts with ``braid_`` are the kernel's
and never carried, even if set inside the window.

The rule, for chained and concurrent cells alike: a cell starts with the
changes of every cell that *finished before it started*, applied in the order
they finished (for each variable, the value of the last cell to finish that
changed it).  In chained mode that is exactly the context the previous cell
left.  A cell that resets a variable to unset (``var.reset(token)`` for its
first ``set``) removes it from what is carried.
"""

from __future__ import annotations

import contextvars
from contextvars import Context, ContextVar
from typing import Any

_MISSING: Any = object()
KERNEL_PREFIX = "braid_"


class ContextCarry:
    """The context changes cells leave, for the cells that start after them."""

    def __init__(self) -> None:
        self._values: dict[ContextVar[Any], Any] = {}

    def enter(self) -> Context:
        """Set the carried values in the running task (call in the cell's task,
        before its code); returns the context the cell starts from, for :meth:`leave`."""
        for var, value in self._values.items():
            if var.get(_MISSING) is not value:
                var.set(value)
        return contextvars.copy_context()

    def leave(self, start: Context) -> None:
        """Record what the cell changed since :meth:`enter` returned ``start``
        (call in the same task, after the cell's code)."""
        end = contextvars.copy_context()
        for var, value in end.items():
            if start.get(var, _MISSING) is not value and not var.name.startswith(KERNEL_PREFIX):
                self._values[var] = value
        for var in start:
            if var not in end:
                self._values.pop(var, None)
