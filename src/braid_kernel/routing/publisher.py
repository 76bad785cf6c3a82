"""Publishing on behalf of the current request.

A thin layer over the outbox that fills in the parent header from the
:data:`~braid_kernel.routing.context.current_request`, offers a cell's output to
its taps first (:mod:`braid_kernel.routing.taps`: cache mode's recording,
reactive mode's display) and applies the rule that a ``silent`` execution
broadcasts nothing but its status (and comm traffic, which keeps widget state
consistent).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from braid_kernel.routing.context import Request, current_request
from braid_kernel.routing.taps import offer_iopub, offer_stream
from braid_kernel.transport.outbox import Outbox
from braid_kernel.wire.channels import Channel
from braid_kernel.wire.message import JsonDict

_ALWAYS_SENT = frozenset({"status", "comm_open", "comm_msg", "comm_close", "debug_event", "shutdown_reply"})


class Publisher:
    """Sends IOPub messages, replies and stream text with the right parent."""

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        self._busy = 0  # requests between their busy and idle status, every shell together
        self._busy_lock = threading.Lock()

    @property
    def busy(self) -> bool:
        """Whether some request is being handled (its busy status sent, its idle not yet)."""
        return self._busy > 0

    def iopub(
        self,
        msg_type: str,
        content: JsonDict,
        request: Request | None = None,
        metadata: JsonDict | None = None,
        buffers: Sequence[Any] = (),
    ) -> None:
        """Broadcast on IOPub, parented to ``request`` (default: the current one)."""
        req = request if request is not None else current_request.get()
        if offer_iopub(msg_type, content, None if req is None else req.header, metadata, buffers):
            return  # taken by a tap (a reactive cell's output: shown in the cell's own display)
        if req is None:
            self.outbox.send(Channel.IOPUB, msg_type, content, None, metadata=metadata, buffers=buffers)
            return
        if req.silent and msg_type not in _ALWAYS_SENT:
            return
        self.outbox.send(Channel.IOPUB, msg_type, content, req.header, metadata=metadata, buffers=buffers)

    def iopub_for(
        self,
        parent: JsonDict | None,
        msg_type: str,
        content: JsonDict,
        metadata: JsonDict | None = None,
        buffers: Sequence[Any] = (),
    ) -> None:
        """Broadcast on IOPub with ``parent`` as the parent header, for code that names its
        parent itself (``kernel.session.send``); when it names the current request, that
        request's rules apply as in :meth:`iopub`."""
        req = current_request.get()
        if req is not None and parent is not None and parent.get("msg_id") == req.header.get("msg_id"):
            self.iopub(msg_type, content, req, metadata, buffers)
            return
        self.outbox.send(Channel.IOPUB, msg_type, content, parent, metadata=metadata, buffers=buffers)

    def status(self, state: str, request: Request) -> None:
        if state in ("busy", "idle"):
            with self._busy_lock:
                self._busy += 1 if state == "busy" else -1
        self.outbox.send(Channel.IOPUB, "status", {"execution_state": state}, request.header)

    def reply(
        self, request: Request, msg_type: str, content: JsonDict, metadata: JsonDict | None = None
    ) -> None:
        """Answer ``request`` on the channel it came from, to the client that sent it."""
        self.outbox.send(
            request.channel,
            msg_type,
            content,
            request.header,
            metadata=metadata,
            identities=request.msg.identities,
        )

    def stream(self, name: str, text: str, request: Request) -> None:
        if not request.silent and not offer_stream(name, text):
            self.outbox.stream(request.header, name, text)
