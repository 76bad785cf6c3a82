"""JSON for the wire: orjson, with the few conversions Jupyter content needs.

Message content comes from user code (display data, comm payloads), so the
encoder accepts what Jupyter clients accept: dates become ISO strings, bytes
become base64, numpy scalars and arrays become numbers and lists, sets become
lists, and dict keys are stringified.  Anything else is a ``TypeError`` that
the caller reports to the user.
"""

from __future__ import annotations

import base64
from typing import Any

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_UTC_Z


def _default(obj: Any) -> Any:
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


def dumps(obj: Any) -> bytes:
    """Serialize to UTF-8 JSON bytes."""
    return orjson.dumps(obj, default=_default, option=_OPTIONS)


def loads(data: bytes | memoryview) -> Any:
    """Parse JSON bytes; raises ``orjson.JSONDecodeError`` (a ``ValueError``)."""
    return orjson.loads(data)
