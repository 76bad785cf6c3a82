"""JSON for the wire: orjson where it is installed, the standard library where it cannot be.

:func:`dumps` turns message parts into UTF-8 JSON bytes, with the conversions Jupyter content
needs (dates as ISO strings, bytes as base64, numpy values, sets, non-string keys) and a repair
of what JSON cannot carry (a lone surrogate becomes U+FFFD, an integer beyond 64 bits keeps its
digits); what still cannot be encoded raises :class:`~braid_kernel.errors.UnencodableContent`.
:func:`loads` parses JSON bytes (``ValueError`` when they are not JSON), decoding bytes that are
not UTF-8 with U+FFFD in their place.

:mod:`~braid_kernel.wire.jsonfast` (orjson) is the fast path; where orjson has no wheel (Pyodide,
pyproject leaves it out under ``sys_platform == "emscripten"``) :mod:`~braid_kernel.wire.jsonstd`
writes the same bytes for the same message with the standard library (tests/wire compare the two).
"""

from __future__ import annotations

from braid_kernel.wire.jsonconv import MAX_DEPTH, repair_text

try:
    from braid_kernel.wire.jsonfast import dumps, loads

    ENCODER = "orjson"
except ImportError:  # no orjson: the standard library, same bytes
    from braid_kernel.wire.jsonstd import dumps, loads

    ENCODER = "json"

__all__ = ("ENCODER", "MAX_DEPTH", "dumps", "loads", "repair_text")
