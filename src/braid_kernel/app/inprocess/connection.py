"""One client of an in-process kernel: message dicts in, a ``send`` callback out.

This is the form a host that relays raw messages uses — an ASGI/websocket
server, a Pyodide worker, a test harness: it calls :meth:`Connection.handle_message`
with each message a frontend sends (a dict naming its ``channel``, as the
websocket JSON protocol has it), and the kernel calls the connection's
``send`` callback with each message for that frontend: the replies to its own
requests, everything on IOPub, and (unless an input handler answers them)
its ``input_request``\\s.  ``send`` may be a plain function or return an
awaitable; the kernel awaits it before sending the next message, so a slow
socket slows the flow of messages rather than reordering them.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from braid_kernel.app.inprocess.stdin import InputHandler
from braid_kernel.errors import MalformedMessage
from braid_kernel.transport.memory import MemoryTransport
from braid_kernel.wire.channels import Channel
from braid_kernel.wire.codec import WireCodec
from braid_kernel.wire.message import JsonDict
from braid_kernel.wire.msgdict import channel_of, frames_from_dict

log = logging.getLogger("braid_kernel")

Send = Callable[[JsonDict], Awaitable[None] | None]
"""Receives each message for one connection (a dict with ``channel``)."""

_INBOUND = {"shell": Channel.SHELL, "control": Channel.CONTROL, "stdin": Channel.STDIN}


class Connection:
    """A frontend attached to an :class:`~braid_kernel.app.inprocess.kernel.InProcessKernel`.

    Create it with :meth:`InProcessKernel.connect`.  :meth:`handle_message`
    may be called from the host's event loop thread or from one other thread
    at a time (as the ZeroMQ I/O thread does for a kernel process); ``send``
    is always called on the event loop.
    """

    def __init__(
        self,
        identity: bytes,
        send: Send,
        *,
        input_handler: InputHandler | None,
        transport: MemoryTransport,
        codec: WireCodec,
        on_close: Callable[[bytes], None],
    ) -> None:
        self.identity = identity
        self.input_handler = input_handler
        self._send = send
        self._transport = transport
        self._codec = codec
        self._on_close = on_close
        self.closed = False

    def handle_message(self, msg: Mapping[str, Any], channel: str | None = None) -> None:
        """Take one message from the frontend; ``channel`` overrides ``msg["channel"]``.

        Raises :class:`~braid_kernel.errors.MalformedMessage` for a dict that is
        not a Jupyter message (no header, no ``msg_type``, an unknown channel)
        and :class:`~braid_kernel.errors.BraidError` after :meth:`close`.
        """
        if self.closed:
            raise MalformedMessage("this connection to the in-process kernel is closed")
        name = channel_of(msg, channel) if channel is None else channel_of({"channel": channel})
        if name not in _INBOUND:
            raise MalformedMessage(f"a frontend cannot send on the {name!r} channel")
        self._transport.deliver(_INBOUND[name], frames_from_dict(msg, self._codec, (self.identity,)))

    async def deliver(self, msg: JsonDict) -> None:
        """Hand one outgoing message to ``send`` (on the event loop)."""
        if self.closed:
            return
        try:
            result = self._send(msg)
            if inspect.isawaitable(result):
                await result
        except Exception:
            log.exception("the send callback of an in-process connection failed on %s", msg.get("msg_type"))

    def close(self) -> None:
        """Stop receiving messages; requests still running keep running."""
        if not self.closed:
            self.closed = True
            self._on_close(self.identity)
