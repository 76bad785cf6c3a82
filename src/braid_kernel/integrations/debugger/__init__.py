"""JupyterLab's visual debugger, over debugpy (optional, imported lazily).

The kernel creates one :class:`Debugger` and passes it each ``debug_request``
content from the control channel; it publishes what ``send_event`` receives as
``debug_event`` on IOPub.  Before starting its own threads (I/O, control,
heartbeat, IPython's history saver) the kernel marks each with
:func:`untraced`, so that debugpy neither suspends nor lists them.

Importing this package does not import debugpy; the first ``initialize``
request does.
"""

from __future__ import annotations

from .debugger import Debugger
from .errors import AdapterTimeout, AdapterUnavailable, DebuggerError, FramingError
from .threads import is_untraced, untraced

__all__ = (
    "AdapterTimeout",
    "AdapterUnavailable",
    "Debugger",
    "DebuggerError",
    "FramingError",
    "is_untraced",
    "untraced",
)
