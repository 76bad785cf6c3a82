"""Message records: what a decoded Jupyter message is, and new headers.

A :class:`Message` is immutable once decoded.  Its dict fields are the parsed
JSON and are never mutated by the kernel: a reply reuses the request's header
object as its parent header.
"""

from __future__ import annotations

import itertools
import os
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

PROTOCOL_VERSION = "5.5"
#: The messages that carry comm traffic (widgets) on the shell channel, whichever way they go.
COMM_MESSAGES = ("comm_open", "comm_msg", "comm_close")

JsonDict = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Message:
    """One Jupyter message as received (or to be sent) on a channel."""

    header: JsonDict
    parent_header: JsonDict = field(default_factory=dict)
    metadata: JsonDict = field(default_factory=dict)
    content: JsonDict = field(default_factory=dict)
    identities: tuple[bytes, ...] = ()
    buffers: tuple[bytes, ...] = ()

    @property
    def msg_type(self) -> str:
        return str(self.header.get("msg_type", ""))

    @property
    def msg_id(self) -> str:
        return str(self.header.get("msg_id", ""))

    @property
    def session(self) -> str:
        return str(self.header.get("session", ""))

    def as_dict(self) -> JsonDict:
        """The message as a jupyter_client-style dict (what comm handlers and
        ``kernel.get_parent()`` callers expect)."""
        return {
            "header": self.header,
            "parent_header": self.parent_header,
            "metadata": self.metadata,
            "content": self.content,
            "buffers": list(self.buffers),
            "msg_id": self.msg_id,
            "msg_type": self.msg_type,
        }

    @property
    def subshell_id(self) -> str | None:
        sid = self.header.get("subshell_id")
        return sid if isinstance(sid, str) else None


_PREFIX = f"{uuid.uuid4().hex[:16]}_{os.getpid()}_"
_COUNTER = itertools.count(1)  # next() on a count is atomic under the GIL


def new_msg_id() -> str:
    """A unique message id: a random per-process prefix plus a counter (fast)."""
    return f"{_PREFIX}{next(_COUNTER)}"


def new_header(msg_type: str, session: str, username: str, subshell_id: str | None = None) -> JsonDict:
    """A 5.5 header for a message this kernel sends."""
    header: JsonDict = {
        "msg_id": new_msg_id(),
        "msg_type": msg_type,
        "session": session,
        "username": username,
        "date": datetime.now(UTC),
        "version": PROTOCOL_VERSION,
    }
    if subshell_id is not None:
        header["subshell_id"] = subshell_id
    return header
