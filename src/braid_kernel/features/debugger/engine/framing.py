"""Content-Length framing of Debug Adapter Protocol messages (sans-IO).

A DAP message on a stream is ``Content-Length: N\\r\\n\\r\\n`` followed by N
bytes of UTF-8 JSON.  Other header fields may appear and are ignored.  N counts
bytes, not characters.
"""

from __future__ import annotations

from typing import Any

from braid_kernel.wire import jsonutil

from .errors import FramingError

_SEPARATOR = b"\r\n\r\n"
_LENGTH_FIELD = b"content-length"
# A header block longer than this without a separator is garbage, not a slow peer.
_MAX_HEADER = 1024


def encode(message: dict[str, Any]) -> bytes:
    """Serialize one DAP message into a complete frame."""
    body = jsonutil.dumps(message)
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def _content_length(header: bytes) -> int:
    for line in header.split(b"\r\n"):
        name, sep, value = line.partition(b":")
        if sep and name.strip().lower() == _LENGTH_FIELD:
            try:
                length = int(value.strip())
            except ValueError as exc:
                raise FramingError(f"bad Content-Length: {value!r}") from exc
            if length < 0:
                raise FramingError(f"negative Content-Length: {length}")
            return length
    raise FramingError(f"frame header without Content-Length: {header!r}")


class FrameDecoder:
    """Accumulates stream bytes and yields the complete messages they hold.

    ``feed`` may be given any split of the stream (a byte at a time, or many
    frames at once); it returns the messages completed by that chunk, in order,
    and keeps the incomplete remainder for the next call.  A malformed header
    or a body that is not a JSON object raises :class:`FramingError`; the
    decoder should then be discarded, as the stream position is lost.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._length: int | None = None

    def feed(self, data: bytes) -> list[dict[str, Any]]:
        """Add ``data``; return the messages that are now complete."""
        self._buffer += data
        messages: list[dict[str, Any]] = []
        while True:
            if self._length is None:
                end = self._buffer.find(_SEPARATOR)
                if end < 0:
                    if len(self._buffer) > _MAX_HEADER:
                        raise FramingError("no frame header separator found")
                    return messages
                self._length = _content_length(bytes(self._buffer[:end]))
                del self._buffer[: end + len(_SEPARATOR)]
            if len(self._buffer) < self._length:
                return messages
            body = bytes(self._buffer[: self._length])
            del self._buffer[: self._length]
            self._length = None
            messages.append(_parse(body))


def _parse(body: bytes) -> dict[str, Any]:
    try:
        message = jsonutil.loads(body)
    except ValueError as exc:
        raise FramingError(f"frame body is not JSON: {exc}") from exc
    if not isinstance(message, dict):
        raise FramingError(f"frame body is not a JSON object: {type(message).__name__}")
    return message
