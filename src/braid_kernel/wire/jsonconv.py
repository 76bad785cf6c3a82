"""What both JSON encoders of the wire share: the conversions Jupyter content needs and the
repair of text JSON cannot carry.

:mod:`~braid_kernel.wire.jsonutil` encodes with orjson where it is installed and with
:mod:`~braid_kernel.wire.jsonstd` (the standard library) where it cannot be (Pyodide); both
call :func:`convert` for values JSON has no type for and :func:`repair_text` for text UTF-8
cannot carry, so a message is the same bytes either way.
"""

from __future__ import annotations

import base64
from typing import Any

MAX_DEPTH = 254
"""Containers nested deeper than this are refused (orjson's own limit)."""

INT_MIN, INT_MAX = -(1 << 63), (1 << 64) - 1  # orjson's integer range


def convert(obj: Any) -> Any:
    """A JSON-shaped stand-in for ``obj``: bytes become base64 text, sets lists, numpy values
    numbers and nested lists; raises ``TypeError`` naming the type of anything else."""
    if isinstance(obj, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(obj)).decode("ascii")
    if isinstance(obj, set | frozenset):
        return list(obj)
    tolist = getattr(obj, "tolist", None)  # numpy arrays orjson cannot take natively
    if callable(tolist) and getattr(obj, "ndim", False):
        return tolist()
    item = getattr(obj, "item", None)  # numpy scalar types orjson does not know
    if callable(item):
        return item()
    if callable(tolist):
        return tolist()
    raise TypeError(f"{type(obj).__name__} is not JSON serializable")


def repair_text(text: str) -> str:
    """``text`` as UTF-8 can carry it: each lone surrogate becomes U+FFFD, a surrogate pair
    the character it stands for."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text
