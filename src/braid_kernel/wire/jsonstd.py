"""JSON for the wire with the standard library only, for where orjson cannot be installed.

Pyodide has no orjson wheel, so a kernel running in the browser encodes with this module.  It
writes the bytes :mod:`~braid_kernel.wire.jsonfast` (orjson) writes for the same message, so a
frontend cannot tell the two apart: compact separators, UTF-8 text unescaped, the escapes the
standard library's ``json`` uses (orjson's are the same), non-finite floats as ``null``, floats in
orjson's notation (Python's ``repr`` except that exponents ``e-06`` to ``e-09`` lose the zero,
``e-05`` is written out as ``0.0000…``), dates as ISO strings with ``Z`` for UTC, enums as their
values, UUIDs as text, dataclasses as objects of their public fields, and the conversions and text
repair of :mod:`~braid_kernel.wire.jsonconv` (bytes as base64, sets as lists, numpy values; a lone
surrogate becomes U+FFFD, an integer beyond 64 bits keeps its digits).  tests/wire compare both
encoders on random messages.

The encoder is a single walk that writes as it goes, converting and repairing in the same pass;
containers nested deeper than :data:`~braid_kernel.wire.jsonconv.MAX_DEPTH` and values of unknown
types raise :class:`~braid_kernel.errors.UnencodableContent`, as the orjson path does.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import math
import re
import uuid
from typing import Any

from braid_kernel.errors import UnencodableContent
from braid_kernel.wire.jsonconv import MAX_DEPTH, convert, repair_text

__all__ = ("dumps", "format_float", "loads")

_SMALL_EXPONENT = re.compile(r"(-?)(\d)(?:\.(\d+))?e-0(\d)")


def format_float(value: float) -> str:
    """``value`` as orjson writes it (``null`` when it is not finite)."""
    if not math.isfinite(value):
        return "null"
    text = float.__repr__(value)
    match = _SMALL_EXPONENT.fullmatch(text)
    if match is None:
        return text
    sign, digit, fraction, exponent = match.groups()
    if exponent == "5":  # 1.5e-05 -> 0.000015
        return f"{sign}0.0000{digit}{fraction or ''}"
    return f"{sign}{digit}{'.' + fraction if fraction else ''}e-{exponent}"  # 1e-07 -> 1e-7


def _text(value: str) -> str:
    return json.dumps(repair_text(str.__str__(value)), ensure_ascii=False)


def _datetime(value: dt.datetime | dt.date | dt.time) -> str:
    if isinstance(value, dt.time) and value.tzinfo is not None:
        raise UnencodableContent("datetime.time must not have tzinfo set")
    offset = value.utcoffset() if isinstance(value, dt.datetime) else None
    if offset is None or not isinstance(value, dt.datetime):
        return value.isoformat()
    text = value.replace(tzinfo=None).isoformat()
    if not offset:
        return text + "Z"
    # orjson writes hours and minutes only, the seconds rounded half up into the minutes
    seconds = int(offset.total_seconds())
    hours, rest = divmod(abs(seconds), 3600)
    return f"{text}{'-' if seconds < 0 else '+'}{hours:02d}:{(rest + 30) // 60:02d}"


def _is_numpy(value: Any) -> bool:
    return type(value).__module__ == "numpy"


def _numpy_float32(value: Any) -> Any:
    """A float32 scalar or array as the shortest text that reads back as that float32 (orjson's
    way), not the float64 it widens to."""
    if getattr(value, "ndim", 0):
        return [_numpy_float32(item) for item in value]
    return float(str(value))


def _is_float32(value: Any) -> bool:
    dtype = getattr(value, "dtype", None)
    return dtype is not None and dtype.kind == "f" and dtype.itemsize == 4


class _Writer:
    """Appends the JSON text of one value to ``parts``."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def value(self, obj: Any, depth: int) -> None:
        out = self.parts.append
        if obj is None:
            out("null")
        elif obj is True:
            out("true")
        elif obj is False:
            out("false")
        elif isinstance(obj, str):
            out(_text(obj))
        elif isinstance(obj, int) and not _is_numpy(obj):
            out(int.__repr__(obj))
        elif type(obj) is float or (isinstance(obj, float) and _is_numpy(obj) and not _is_float32(obj)):
            out(format_float(obj))
        elif isinstance(obj, dict):
            self.mapping(obj, depth)
        elif isinstance(obj, list) or type(obj) is tuple:
            self.array(obj, depth)
        else:
            self.value(self.native(obj), depth)

    def native(self, obj: Any) -> Any:
        """A JSON-shaped stand-in for a value orjson encodes natively or through ``convert``."""
        if isinstance(obj, enum.Enum):
            return obj.value
        if isinstance(obj, dt.datetime | dt.date | dt.time):
            return _datetime(obj)
        if isinstance(obj, uuid.UUID):
            return str(obj)
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            return {
                f.name: getattr(obj, f.name) for f in dataclasses.fields(obj) if not f.name.startswith("_")
            }
        if _is_numpy(obj) and _is_float32(obj):
            return _numpy_float32(obj)
        try:
            return convert(obj)
        except TypeError as exc:
            raise UnencodableContent(str(exc)) from exc

    def mapping(self, obj: dict[Any, Any], depth: int) -> None:
        if depth >= MAX_DEPTH:
            raise UnencodableContent(f"content nested deeper than {MAX_DEPTH} levels")
        out = self.parts.append
        out("{")
        for index, (key, item) in enumerate(obj.items()):
            if index:
                out(",")
            out(_text(self.key(key)))
            out(":")
            self.value(item, depth + 1)
        out("}")

    def array(self, obj: list[Any] | tuple[Any, ...], depth: int) -> None:
        if depth >= MAX_DEPTH:
            raise UnencodableContent(f"content nested deeper than {MAX_DEPTH} levels")
        out = self.parts.append
        out("[")
        for index, item in enumerate(obj):
            if index:
                out(",")
            self.value(item, depth + 1)
        out("]")

    def key(self, key: Any) -> str:  # noqa: PLR0911  (one case per key type orjson accepts)
        """A dict key as text, as orjson's ``OPT_NON_STR_KEYS`` writes it."""
        if isinstance(key, str):
            return str.__str__(key)
        if key is None:
            return "null"
        if isinstance(key, bool):
            return "true" if key else "false"
        if isinstance(key, enum.Enum):
            return self.key(key.value)
        if isinstance(key, int):
            return int.__repr__(key)
        if isinstance(key, float):
            return format_float(key)
        if isinstance(key, dt.datetime | dt.date | dt.time):
            return _datetime(key)
        if isinstance(key, uuid.UUID):
            return str(key)
        raise UnencodableContent("Dict key must a type serializable with OPT_NON_STR_KEYS")


def dumps(obj: Any) -> bytes:
    """Serialize to UTF-8 JSON bytes, the bytes orjson's path writes (see the module
    docstring); raises :class:`~braid_kernel.errors.UnencodableContent`."""
    writer = _Writer()
    try:
        writer.value(obj, 0)
    except RecursionError as exc:  # a value whose conversion never ends
        raise UnencodableContent(f"content nested deeper than {MAX_DEPTH} levels") from exc
    return "".join(writer.parts).encode("utf-8")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def loads(data: bytes | memoryview) -> Any:
    """Parse JSON bytes; raises ``json.JSONDecodeError`` (a ``ValueError``).  As the orjson
    path: bytes that are not UTF-8 are decoded with U+FFFD in their place, and ``NaN`` or
    ``Infinity`` are refused."""
    raw = bytes(data)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("utf-8", "replace")
    return json.loads(text, parse_constant=_no_constant)
