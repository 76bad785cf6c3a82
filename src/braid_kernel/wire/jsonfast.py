"""JSON for the wire, the fast path: orjson, with the few conversions Jupyter content needs.

Message content comes from user code (display data, comm payloads), so the
encoder accepts what Jupyter clients accept: dates become ISO strings, bytes
become base64, numpy scalars and arrays become numbers and lists, sets become
lists, and dict keys are stringified.

Every message must go out, so :func:`dumps` repairs what JSON cannot carry
instead of refusing it: a lone surrogate (what ``surrogateescape`` gives for a
file name that is not UTF-8) becomes U+FFFD, a surrogate pair the character
it encodes, and an integer beyond 64 bits is written with all its digits (as
the standard library would).  The repair is a second pass that runs only
when orjson refuses the first, so ordinary messages cost one orjson call.
What still cannot be encoded — an object of an unknown type, nesting deeper
than :data:`MAX_DEPTH` — is an :class:`~braid_kernel.errors.UnencodableContent`
(a ``TypeError``) that the caller reports.
"""

from __future__ import annotations

from typing import Any

import orjson

from braid_kernel.errors import UnencodableContent
from braid_kernel.wire.jsonconv import INT_MAX as _INT_MAX
from braid_kernel.wire.jsonconv import INT_MIN as _INT_MIN
from braid_kernel.wire.jsonconv import MAX_DEPTH, repair_text
from braid_kernel.wire.jsonconv import convert as _default

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_UTC_Z

__all__ = ("MAX_DEPTH", "dumps", "loads", "repair_text")


def dumps(obj: Any) -> bytes:
    """Serialize to UTF-8 JSON bytes, repairing text JSON cannot carry (see the module
    docstring); raises :class:`~braid_kernel.errors.UnencodableContent`."""
    try:
        return orjson.dumps(obj, default=_default, option=_OPTIONS)
    except TypeError:  # orjson.JSONEncodeError: a surrogate, a huge int, an unknown type, depth
        pass
    try:
        return orjson.dumps(_repair(obj, 0), default=_repair_default, option=_OPTIONS)
    except (TypeError, RecursionError) as exc:
        raise UnencodableContent(str(exc)) from exc


def loads(data: bytes | memoryview) -> Any:
    """Parse JSON bytes; raises ``orjson.JSONDecodeError`` (a ``ValueError``).

    Bytes that are not valid UTF-8 are decoded with U+FFFD in their place, as jupyter_client
    decodes: it sends a lone surrogate (text from ``surrogateescape``, in a cell's code) as the
    raw byte it stands for, and the request must still run.
    """
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        try:
            bytes(data).decode("utf-8")
        except UnicodeDecodeError:
            return orjson.loads(bytes(data).decode("utf-8", "replace"))
        raise


# ------------------------------------------------------------ the repair pass
def _repair(obj: Any, depth: int) -> Any:
    """A copy of ``obj`` orjson can encode, as far as text and integers go; values of other
    types are left for orjson (and :func:`_repair_default`)."""
    if isinstance(obj, str):
        return repair_text(obj)
    if isinstance(obj, int) and not isinstance(obj, bool):
        return obj if _INT_MIN <= obj <= _INT_MAX else orjson.Fragment(str(int(obj)))
    if isinstance(obj, dict | list | tuple):
        if depth >= MAX_DEPTH:
            raise UnencodableContent(f"content nested deeper than {MAX_DEPTH} levels")
        if isinstance(obj, dict):
            return {_repair_key(k): _repair(v, depth + 1) for k, v in obj.items()}
        return [_repair(v, depth + 1) for v in obj]
    return obj


def _repair_key(key: Any) -> Any:
    if isinstance(key, str):
        return repair_text(key)
    if isinstance(key, int) and not isinstance(key, bool) and not _INT_MIN <= key <= _INT_MAX:
        return str(int(key))
    return key


def _repair_default(obj: Any) -> Any:
    return _repair(_default(obj), 0)
