"""The current request: which message a piece of running code belongs to.

Set by the dispatcher before a handler (or a cell) runs; read at the moment
of writing by the output streams, the display publisher and ``input()``.
Tasks inherit it automatically; threads started by a cell inherit it too
(see :mod:`braid_kernel.engine.threads`).
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from braid_kernel.wire.channels import Channel
from braid_kernel.wire.message import JsonDict, Message


@dataclass(frozen=True, slots=True)
class Request:
    """A received message and the channel it came on."""

    msg: Message
    channel: Channel
    received: float = 0.0  # time.monotonic() when the I/O thread decoded it
    silent: bool = field(init=False)  # execute_request with silent: no IOPub output at all

    def __post_init__(self) -> None:
        silent = self.msg.msg_type == "execute_request" and bool(self.msg.content.get("silent", False))
        object.__setattr__(self, "silent", silent)  # computed once: read on every write

    @property
    def header(self) -> JsonDict:
        return self.msg.header

    @property
    def msg_type(self) -> str:
        return self.msg.msg_type

    @property
    def content(self) -> JsonDict:
        return self.msg.content

    @property
    def allow_stdin(self) -> bool:
        return bool(self.msg.content.get("allow_stdin", False))

    def field(self, name: str, default: Any = None) -> Any:
        """A content field, or ``default`` when absent."""
        return self.msg.content.get(name, default)


current_request: ContextVar[Request | None] = ContextVar("braid_current_request", default=None)
