"""The kernel's one exception tree.

Foreign errors are translated at the boundary (``raise ... from exc``) into
one of these, so callers catch ``BraidError`` subclasses, never library ones.
"""

from __future__ import annotations


class BraidError(Exception):
    """Base of every error the kernel raises on purpose."""


class ConfigError(BraidError):
    """A bad option, mode or connection file: reported at startup with a fix."""


class WireError(BraidError):
    """An incoming message that cannot be accepted; it is logged and dropped."""


class MalformedMessage(WireError):
    """Frames missing, not JSON, or not the shape the protocol requires."""


class BadSignature(WireError):
    """The HMAC signature does not match the message (wrong key or forgery)."""


class ReplayedMessage(WireError):
    """A signature already seen: the message is a replay."""


class MessageTooLarge(WireError):
    """A message above the configured size limit."""


class UnencodableContent(BraidError, TypeError):
    """Outgoing content the JSON encoder refuses even after its repair pass: an object of an
    unknown type, nesting deeper than the limit, a buffer that is not bytes-like.  Only the
    message carrying it is lost (the kernel reports it)."""


class StdinNotAllowed(BraidError):
    """``input()`` called by a request whose frontend does not accept stdin."""


class UnknownSubshell(BraidError):
    """A ``subshell_id`` the kernel never created (or already deleted)."""


class CacheError(BraidError):
    """Cache mode cannot store or restore a cell; the cell then runs (or is not stored)."""


class Unhashable(CacheError):
    """A value the cache cannot fingerprint; ``str()`` says which and why."""


class Unpicklable(CacheError):
    """An output value cannot be stored; ``str()`` names it and says why."""


class StaleReference(CacheError):
    """An entry refers to a notebook class the namespace no longer has in the same form."""


class DataflowError(BraidError):
    """Reactive mode cannot place a cell in the dependency graph; the cell does not run."""


class DataflowCycle(DataflowError):
    """Cells that depend on each other in a cycle (names the cells and the names)."""


class DataflowConflict(DataflowError):
    """A name defined by more than one cell, none of them refining it."""


class UnavailableHere(BraidError):
    """What this platform cannot do: a subshell (a thread) or ``!cmd`` (a process) under
    Pyodide; the message names what and why."""
