"""An awaitable client for an in-process kernel, speaking jupyter_client's message dicts.

Each request method sends one message and returns when its reply arrives:
the reply's ``content`` for the named requests (``await client.execute(code)``
is the ``execute_reply`` content), the whole reply message for
:meth:`InProcessClient.request`.  IOPub messages are buffered from the moment
the client is created and read with ``async for msg in client.iopub()``.
Use a client on the event loop the kernel runs on.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any, Protocol

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from braid_kernel.app.inprocess.connection import Connection, Send
from braid_kernel.app.inprocess.stdin import InputHandler
from braid_kernel.errors import BraidError
from braid_kernel.wire.message import PROTOCOL_VERSION, JsonDict, new_msg_id


class Connectable(Protocol):
    """What a client needs of a kernel: :meth:`InProcessKernel.connect
    <braid_kernel.app.inprocess.kernel.InProcessKernel.connect>` (this module does not import
    the kernel, which imports it to offer :meth:`~InProcessKernel.client`)."""

    def connect(self, send: Send, *, input_handler: InputHandler | None = None) -> Connection: ...


class _Pending:
    """A reply being waited for."""

    __slots__ = ("arrived", "reply")

    def __init__(self) -> None:
        self.arrived = anyio.Event()
        self.reply: JsonDict | None = None


class InProcessClient:
    """Requests, replies and IOPub of one frontend; see :meth:`InProcessKernel.client`.

    ``input_handler`` answers ``input()`` in cells (it gets the
    ``input_request`` message dict and returns the text); without one,
    requests are sent with ``allow_stdin`` false and ``input()`` raises.
    """

    def __init__(self, kernel: Connectable, *, input_handler: InputHandler | None = None) -> None:
        self.session = uuid.uuid4().hex
        self._pending: dict[str, _Pending] = {}
        send, receive = anyio.create_memory_object_stream[JsonDict](max_buffer_size=math.inf)
        self._iopub_in: MemoryObjectSendStream[JsonDict] = send
        self._iopub_out: MemoryObjectReceiveStream[JsonDict] = receive
        stdin_send, stdin_receive = anyio.create_memory_object_stream[JsonDict](max_buffer_size=math.inf)
        self._stdin_in: MemoryObjectSendStream[JsonDict] = stdin_send
        self._stdin_out: MemoryObjectReceiveStream[JsonDict] = stdin_receive
        self._allow_stdin = input_handler is not None
        self.connection = kernel.connect(self._on_message, input_handler=input_handler)

    # ------------------------------------------------------------ generic
    def message(self, msg_type: str, content: JsonDict | None = None, **header: Any) -> JsonDict:
        """A new message dict from this client (``header`` fields override the defaults)."""
        msg_id = new_msg_id()
        head: JsonDict = {
            "msg_id": msg_id,
            "msg_type": msg_type,
            "session": self.session,
            "username": "inprocess",
            "date": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "version": PROTOCOL_VERSION,
            **header,
        }
        return {
            "header": head,
            "msg_id": head["msg_id"],
            "msg_type": msg_type,
            "parent_header": {},
            "metadata": {},
            "content": content or {},
            "buffers": [],
        }

    def send(
        self, msg_type: str, content: JsonDict | None = None, channel: str = "shell", **header: Any
    ) -> str:
        """Send one message on ``channel`` ("shell", "control" or "stdin"); its ``msg_id``.

        The reply to a ``*_request`` can be awaited with :meth:`reply`.
        """
        msg = self.message(msg_type, content, **header)
        msg_id: str = msg["header"]["msg_id"]
        if msg_type.endswith("_request"):
            self._pending[msg_id] = _Pending()
        try:
            self.connection.handle_message(msg, channel)
        except BaseException:
            self._pending.pop(msg_id, None)
            raise
        return msg_id

    async def reply(self, msg_id: str) -> JsonDict:
        """The reply message to the request ``msg_id`` (sent with :meth:`send`)."""
        pending = self._pending.get(msg_id)
        if pending is None:
            raise BraidError(f"no request {msg_id!r} awaiting a reply from this client")
        try:
            await pending.arrived.wait()
        finally:
            self._pending.pop(msg_id, None)
        assert pending.reply is not None
        return pending.reply

    async def request(
        self, msg_type: str, content: JsonDict | None = None, channel: str = "shell", **header: Any
    ) -> JsonDict:
        """Send a ``*_request`` and return its whole reply message."""
        return await self.reply(self.send(msg_type, content, channel, **header))

    async def iopub(self) -> AsyncIterator[JsonDict]:
        """IOPub messages (dicts), oldest first, from when this client was created."""
        async for msg in self._iopub_out:
            yield msg

    def iopub_nowait(self) -> list[JsonDict]:
        """Every IOPub message buffered so far, without waiting."""
        out = []
        while True:
            try:
                out.append(self._iopub_out.receive_nowait())
            except anyio.WouldBlock:
                return out

    async def stdin(self) -> AsyncIterator[JsonDict]:
        """``input_request`` messages no input handler answered (``input()`` in a thread)."""
        async for msg in self._stdin_out:
            yield msg

    # ------------------------------------------------------------ requests
    async def execute(
        self,
        code: str,
        *,
        silent: bool = False,
        store_history: bool = True,
        user_expressions: JsonDict | None = None,
        allow_stdin: bool | None = None,
        stop_on_error: bool = True,
    ) -> JsonDict:
        """Run ``code``; the ``execute_reply`` content (its output is on :meth:`iopub`)."""
        content = {
            "code": code,
            "silent": silent,
            "store_history": store_history,
            "user_expressions": user_expressions or {},
            "allow_stdin": self._allow_stdin if allow_stdin is None else allow_stdin,
            "stop_on_error": stop_on_error,
        }
        return await self._content("execute_request", content)

    async def complete(self, code: str, cursor_pos: int | None = None) -> JsonDict:
        pos = len(code) if cursor_pos is None else cursor_pos
        return await self._content("complete_request", {"code": code, "cursor_pos": pos})

    async def inspect(self, code: str, cursor_pos: int | None = None, detail_level: int = 0) -> JsonDict:
        pos = len(code) if cursor_pos is None else cursor_pos
        content = {"code": code, "cursor_pos": pos, "detail_level": detail_level}
        return await self._content("inspect_request", content)

    async def is_complete(self, code: str) -> JsonDict:
        return await self._content("is_complete_request", {"code": code})

    async def history(
        self, hist_access_type: str = "tail", *, raw: bool = True, output: bool = False, **content: Any
    ) -> JsonDict:
        """History (``n=``, ``session=``, ``start=``, ``stop=``, ``pattern=``... as the protocol has them)."""
        body = {"hist_access_type": hist_access_type, "raw": raw, "output": output, **content}
        return await self._content("history_request", body)

    async def kernel_info(self) -> JsonDict:
        return await self._content("kernel_info_request", {})

    async def comm_info(self, target_name: str | None = None) -> JsonDict:
        return await self._content(
            "comm_info_request", {} if target_name is None else {"target_name": target_name}
        )

    def comm_open(self, target_name: str, data: JsonDict | None = None, comm_id: str | None = None) -> str:
        """Open a comm to ``target_name`` in the kernel; its ``comm_id``."""
        cid = comm_id or uuid.uuid4().hex
        self.send("comm_open", {"comm_id": cid, "target_name": target_name, "data": data or {}})
        return cid

    def comm_msg(self, comm_id: str, data: JsonDict | None = None) -> str:
        return self.send("comm_msg", {"comm_id": comm_id, "data": data or {}})

    def comm_close(self, comm_id: str, data: JsonDict | None = None) -> str:
        return self.send("comm_close", {"comm_id": comm_id, "data": data or {}})

    async def interrupt(self) -> JsonDict:
        """Cancel the running cells (awaiting ones; blocking code cannot be interrupted in-process)."""
        return await self._content("interrupt_request", {}, "control")

    async def shutdown(self, restart: bool = False) -> JsonDict:
        """Stop the kernel's main shell; later requests get error replies (no restart in-process)."""
        return await self._content("shutdown_request", {"restart": restart}, "control")

    def input_reply(self, value: str, parent: JsonDict | None = None) -> str:
        """Answer an ``input_request`` read from :meth:`stdin`."""
        content = {"value": value, "status": "ok"}
        msg = self.message("input_reply", content)
        if parent is not None:
            msg["parent_header"] = parent["header"]
        self.connection.handle_message(msg, "stdin")
        return str(msg["header"]["msg_id"])

    # ------------------------------------------------------------ plumbing
    async def _content(self, msg_type: str, content: JsonDict, channel: str = "shell") -> JsonDict:
        reply = await self.request(msg_type, content, channel)
        result: JsonDict = reply["content"]
        return result

    def _on_message(self, msg: JsonDict) -> None:
        channel = msg["channel"]
        if channel == "iopub":
            self._iopub_in.send_nowait(msg)
        elif channel == "stdin":
            self._stdin_in.send_nowait(msg)
        else:
            pending = self._pending.get(msg["parent_header"].get("msg_id", ""))
            if pending is not None and pending.reply is None:
                pending.reply = msg
                pending.arrived.set()
