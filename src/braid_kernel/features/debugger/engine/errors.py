"""The debugger's branch of the kernel's exception tree.

Everything here derives from :class:`braid_kernel.errors.BraidError`; the
:class:`~braid_kernel.features.debugger.engine.Debugger` turns any of them into a
failed DAP response (``success: false`` with the message) for the frontend.
"""

from __future__ import annotations

from braid_kernel.errors import BraidError


class DebuggerError(BraidError):
    """A debug request that cannot be carried out (bad arguments, wrong state)."""


class FramingError(DebuggerError):
    """Bytes from the debug adapter that are not a well-formed DAP frame."""


class AdapterUnavailable(DebuggerError):
    """debugpy could not be started, or its adapter connection is closed."""


class AdapterTimeout(DebuggerError):
    """The debug adapter did not answer a request in time."""
