"""Frames to messages and back.

Wire format (Jupyter messaging, "The Wire Protocol")::

    [identities..., b"<IDS|MSG>", signature, header, parent_header, metadata, content, buffers...]

:class:`WireCodec` is sans-IO: it turns frame lists into :class:`Message`
records (verifying signatures) and message parts into frame lists (signing
them).  It keeps replay-protection state, so each thread that decodes owns
its own codec.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from braid_kernel.errors import MalformedMessage, MessageTooLarge, UnencodableContent
from braid_kernel.wire import jsonutil
from braid_kernel.wire.message import JsonDict, Message, new_header
from braid_kernel.wire.signing import Signer

DELIMITER = b"<IDS|MSG>"
DEFAULT_MAX_BYTES = 64 * 1024 * 1024


def _frame_bytes(frame: bytes | memoryview | Any) -> bytes:
    return frame if isinstance(frame, bytes) else bytes(frame)


def _buffer_bytes(index: int, buffer: Any) -> bytes:
    """A binary buffer as a frame: anything with the buffer protocol (``bytes(5)`` would
    silently send five zero bytes for an int, so nothing else is converted)."""
    if isinstance(buffer, bytes):
        return buffer
    try:
        return memoryview(buffer).tobytes()
    except TypeError:
        raise UnencodableContent(
            f"buffer {index} ({type(buffer).__name__}) is not bytes-like (bytes, bytearray, memoryview)"
        ) from None


class WireCodec:
    """Encode and decode signed Jupyter messages for one kernel session."""

    def __init__(
        self, signer: Signer, session: str, username: str = "kernel", max_bytes: int = DEFAULT_MAX_BYTES
    ) -> None:
        self.signer = signer
        self.session = session
        self.username = username
        self.max_bytes = max_bytes

    # ------------------------------------------------------------ decode
    def decode(self, frames: Sequence[bytes | memoryview]) -> Message:
        """Parse and verify a received frame list.

        Raises :class:`MalformedMessage`, :class:`MessageTooLarge`,
        :class:`~braid_kernel.errors.BadSignature` or
        :class:`~braid_kernel.errors.ReplayedMessage`.
        """
        parts = [_frame_bytes(f) for f in frames]
        size = sum(len(p) for p in parts)
        if size > self.max_bytes:
            raise MessageTooLarge(f"message of {size} bytes exceeds the {self.max_bytes}-byte limit")
        try:
            split = parts.index(DELIMITER)
        except ValueError:
            raise MalformedMessage("no <IDS|MSG> delimiter frame") from None
        body = parts[split + 1 :]
        if len(body) < 5:
            raise MalformedMessage(f"expected 5 frames after the delimiter, got {len(body)}")
        signature, json_frames = body[0], body[1:5]
        self.signer.verify(signature, json_frames)
        header, parent, metadata, content = (
            self._load(f, name)
            for f, name in zip(json_frames, ("header", "parent_header", "metadata", "content"), strict=True)
        )
        if not isinstance(header.get("msg_type"), str) or not header.get("msg_type"):
            raise MalformedMessage("header has no msg_type")
        if not isinstance(header.get("msg_id"), str):
            raise MalformedMessage("header has no msg_id")
        return Message(
            header=header,
            parent_header=parent,
            metadata=metadata,
            content=content,
            identities=tuple(parts[:split]),
            buffers=tuple(body[5:]),
        )

    @staticmethod
    def _load(frame: bytes, name: str) -> JsonDict:
        try:
            value = jsonutil.loads(frame)
        except ValueError as exc:
            raise MalformedMessage(f"{name} frame is not valid JSON: {exc}") from exc
        if not isinstance(value, dict):
            raise MalformedMessage(f"{name} frame is not a JSON object")
        return value

    # ------------------------------------------------------------ encode
    def header(self, msg_type: str, subshell_id: str | None = None) -> JsonDict:
        """A new header for this kernel's session."""
        return new_header(msg_type, self.session, self.username, subshell_id)

    def encode(
        self,
        msg_type: str,
        content: JsonDict,
        parent: JsonDict | None = None,
        *,
        metadata: JsonDict | None = None,
        identities: Sequence[bytes] = (),
        buffers: Sequence[bytes | memoryview] = (),
        header: JsonDict | None = None,
    ) -> list[bytes]:
        """Build, sign and frame a message.  ``header`` overrides the fresh one.

        Raises :class:`~braid_kernel.errors.UnencodableContent` for content the JSON
        encoder refuses (see :func:`~braid_kernel.wire.jsonutil.dumps`) or a buffer
        that is not bytes-like.

        The parent's ``subshell_id`` is carried into the new header, so every
        reply and side effect of a subshell request names that subshell.
        """
        parent = parent or {}
        if header is None:
            sid = parent.get("subshell_id")
            header = self.header(msg_type, sid if isinstance(sid, str) else None)
        json_frames = [
            jsonutil.dumps(header),
            jsonutil.dumps(parent),
            jsonutil.dumps(metadata or {}),
            jsonutil.dumps(content),
        ]
        binary = [_buffer_bytes(i, b) for i, b in enumerate(buffers)]
        return [*identities, DELIMITER, self.signer.sign(json_frames), *json_frames, *binary]
