"""Bringing a value out of a suspended frame.

A DAP ``evaluate`` request returns a value's text, never the value, but
``richInspectVariables`` and ``copyToGlobals`` need the object itself.  So the
expression evaluated in the frame calls :func:`deliver` with a one-time token,
and :class:`Capture` collects what arrives under that token.  Code evaluated in
a foreign frame can reach only importable names, which is why the open
captures live in a module-level table (one entry per request in flight).
"""

from __future__ import annotations

import secrets
import threading
from types import TracebackType
from typing import Any

from .errors import DebuggerError

_lock = threading.Lock()
_open: dict[str, Capture] = {}
_NOTHING = object()


def deliver(token: str, value: Any) -> str:
    """Hand ``value`` to the capture waiting for ``token``; called by evaluated code."""
    with _lock:
        capture = _open.get(token)
    if capture is None:
        return "expired"
    capture.value_received = value
    return "delivered"


class Capture:
    """One expected delivery; use as a context manager around the ``evaluate`` request.

    ``expression(source)`` is the Python expression to evaluate in the frame:
    it evaluates ``source`` there and delivers the result.  After the request
    returned, :attr:`value` is the delivered object.
    """

    def __init__(self) -> None:
        self.token = secrets.token_hex(16)
        self.value_received: Any = _NOTHING

    def expression(self, source: str) -> str:
        """The expression that delivers the value of ``source`` (trusted text)."""
        return f"__import__({__name__!r}, fromlist=['deliver']).deliver({self.token!r}, ({source}))"

    @property
    def value(self) -> Any:
        """The delivered object; :class:`DebuggerError` if nothing arrived."""
        if self.value_received is _NOTHING:
            raise DebuggerError("the evaluated expression delivered no value")
        return self.value_received

    def __enter__(self) -> Capture:
        with _lock:
            _open[self.token] = self
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        with _lock:
            _open.pop(self.token, None)
