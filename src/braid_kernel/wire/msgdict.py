"""Message dicts (jupyter_client's shape, and the websocket JSON protocol's) to frames and back.

jupyter_client, jupyter_server's websocket protocol and JupyterLite hand
messages around as dicts::

    {"channel": "shell", "header": {...}, "parent_header": {...},
     "metadata": {...}, "content": {...}, "buffers": [...]}

(jupyter_client adds ``msg_id`` and ``msg_type`` at the top level; the
websocket protocol adds ``channel``).  An in-process kernel speaks this shape:
:func:`frames_from_dict` turns a client's dict into the frames the kernel's
router decodes, and :func:`dict_from_message` turns a message the kernel sent
(decoded from its frames) back into a dict.  Going through the frames keeps
one code path for both transports and makes every message JSON-clean, as on
the wire (dates become ISO strings, numpy values lists and numbers).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from braid_kernel.errors import MalformedMessage
from braid_kernel.wire.codec import WireCodec
from braid_kernel.wire.message import JsonDict, Message

CHANNELS = ("shell", "control", "stdin", "iopub")


def _part(msg: Mapping[str, Any], name: str, required: bool = False) -> JsonDict:
    value = msg.get(name)
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        what = "missing" if value is None else f"a {type(value).__name__}, not a dict"
        raise MalformedMessage(f"message field {name!r} is {what}")
    return value


def channel_of(msg: Mapping[str, Any], default: str | None = None) -> str:
    """The ``channel`` a message dict names (or ``default``); :class:`MalformedMessage` if unknown."""
    channel = msg.get("channel", default)
    if channel not in CHANNELS:
        raise MalformedMessage(f"message channel {channel!r} is not one of {', '.join(CHANNELS)}")
    return str(channel)


def frames_from_dict(
    msg: Mapping[str, Any], codec: WireCodec, identities: Sequence[bytes] = ()
) -> list[bytes]:
    """Frames for a client's message dict, as a client socket would send them.

    The dict needs a ``header`` with a string ``msg_type`` and ``msg_id``;
    ``parent_header``, ``metadata``, ``content`` and ``buffers`` are optional.
    Raises :class:`MalformedMessage` naming what is wrong, and ``TypeError``
    for content that is not JSON-serializable.
    """
    if not isinstance(msg, Mapping):
        raise MalformedMessage(f"a message must be a dict, not {type(msg).__name__}")
    header = _part(msg, "header", required=True)
    msg_type = header.get("msg_type")
    if not isinstance(msg_type, str) or not msg_type:
        raise MalformedMessage("message header has no msg_type")
    if not isinstance(header.get("msg_id"), str):
        raise MalformedMessage("message header has no msg_id")
    buffers = msg.get("buffers") or ()
    return codec.encode(
        msg_type,
        _part(msg, "content"),
        _part(msg, "parent_header"),
        metadata=_part(msg, "metadata"),
        identities=identities,
        buffers=[bytes(b) for b in buffers],
        header=header,
    )


def dict_from_message(msg: Message, channel: str) -> JsonDict:
    """The jupyter_client-style dict of ``msg``, with the ``channel`` it was sent on."""
    out = msg.as_dict()
    out["channel"] = channel
    return out
