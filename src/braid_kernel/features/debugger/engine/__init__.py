"""JupyterLab's visual debugger, over debugpy (optional, imported lazily).

The kernel creates one :class:`Debugger` and passes it each ``debug_request``
content from the control channel; it publishes what ``send_event`` receives as
``debug_event`` on IOPub.  Before starting its own threads (I/O, control,
heartbeat, IPython's history saver) the kernel marks each with
:func:`untraced`, so that debugpy neither suspends nor lists them.

Importing this package imports neither debugpy nor the adapter machinery
(:class:`Debugger` loads on first access; debugpy on the first ``initialize``
request), so a kernel that is never debugged does not pay for it at startup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import AdapterTimeout, AdapterUnavailable, DebuggerError, FramingError
from .threads import is_untraced, untraced

if TYPE_CHECKING:
    from .debugger import Debugger


def __getattr__(name: str) -> Any:
    if name == "Debugger":
        from .debugger import Debugger

        return Debugger
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = (
    "AdapterTimeout",
    "AdapterUnavailable",
    "Debugger",
    "DebuggerError",
    "FramingError",
    "is_untraced",
    "untraced",
)
