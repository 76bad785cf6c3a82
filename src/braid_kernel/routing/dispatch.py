"""Dispatchers: the bookkeeping around every request, in one place.

For each request a dispatcher publishes ``busy``, runs the handler registered
for its type, sends the reply the handler returns, and publishes ``idle`` —
with the request as parent throughout.  A handler that raises becomes an
error reply the client sees (and a log line); an unknown ``*_request`` gets a
``*_reply`` with status ``error``.

:class:`SyncDispatcher` serves the I/O and control threads;
:class:`AsyncDispatcher` serves a shell's event loop, running every request
as its own task so that completions, comm messages and kernel_info are
handled while cells await.
"""

from __future__ import annotations

import inspect
import logging
import traceback
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

import anyio
from anyio.abc import ObjectReceiveStream

from braid_kernel.routing.context import Request, current_request
from braid_kernel.routing.publisher import Publisher
from braid_kernel.wire.message import JsonDict

log = logging.getLogger("braid_kernel.routing")


@dataclass(frozen=True, slots=True)
class Reply:
    """What a handler returns when its reply needs metadata."""

    content: JsonDict
    metadata: JsonDict | None = None


Result = Reply | JsonDict | None
Handler = Callable[[Request], Result | Awaitable[Result]]


def reply_type(msg_type: str) -> str | None:
    """``foo_request`` -> ``foo_reply``; None for messages that get no reply."""
    return msg_type[: -len("_request")] + "_reply" if msg_type.endswith("_request") else None


def error_content(exc: BaseException) -> JsonDict:
    """Reply content for a failed handler."""
    return {
        "status": "error",
        "ename": type(exc).__name__,
        "evalue": str(exc),
        "traceback": traceback.format_exception(exc),
    }


class _Bookkeeping:
    def __init__(self, publisher: Publisher, handlers: Mapping[str, Handler]) -> None:
        self.publisher = publisher
        self.handlers = handlers

    def unknown(self, request: Request) -> None:
        log.warning("unknown message type %r on %s", request.msg_type, request.channel.value)
        rtype = reply_type(request.msg_type)
        if rtype is not None:
            content = {
                "status": "error",
                "ename": "UnknownMessageType",
                "evalue": f"this kernel does not handle {request.msg_type!r}",
                "traceback": [],
            }
            self.publisher.reply(request, rtype, content)

    def finish(self, request: Request, result: Result) -> None:
        rtype = reply_type(request.msg_type)
        if result is None or rtype is None:
            return
        reply = result if isinstance(result, Reply) else Reply(result)
        self.publisher.reply(request, rtype, reply.content, reply.metadata)

    def fail(self, request: Request, exc: Exception) -> None:
        log.error("handler for %s failed", request.msg_type, exc_info=exc)
        rtype = reply_type(request.msg_type)
        if rtype is not None:
            self.publisher.reply(request, rtype, error_content(exc))


class SyncDispatcher(_Bookkeeping):
    """Runs handlers synchronously on the calling thread (I/O or control)."""

    def dispatch(self, request: Request) -> None:
        self.publisher.status("busy", request)
        token = current_request.set(request)
        try:
            handler = self.handlers.get(request.msg_type)
            if handler is None:
                self.unknown(request)
                return
            try:
                result = handler(request)
                if inspect.isawaitable(result):
                    raise TypeError(f"async handler for {request.msg_type} on a sync dispatcher")
                self.finish(request, result)
            except Exception as exc:
                self.fail(request, exc)
        finally:
            current_request.reset(token)
            self.publisher.status("idle", request)

    def dispatch_error(self, request: Request, ename: str, evalue: str) -> None:
        """Answer ``request`` with an error without running any handler."""
        log.warning("%s: %s", request.msg_type, evalue)
        self.publisher.status("busy", request)
        rtype = reply_type(request.msg_type)
        if rtype is not None:
            self.publisher.reply(
                request, rtype, {"status": "error", "ename": ename, "evalue": evalue, "traceback": []}
            )
        self.publisher.status("idle", request)


async def call_handler(handler: Handler, request: Request) -> Result:
    """Run ``handler`` on ``request``, awaiting its result if it is a coroutine."""
    result = handler(request)
    if inspect.isawaitable(result):
        return await result
    return result


class AsyncDispatcher(_Bookkeeping):
    """Serves one shell: every request from ``inbox`` becomes a task."""

    async def serve(self, inbox: ObjectReceiveStream[Request]) -> None:
        """Run until the inbox closes or the surrounding scope is cancelled."""
        async with anyio.create_task_group() as tg:
            async for request in inbox:
                tg.start_soon(self.handle, request)

    async def handle(self, request: Request) -> None:
        current_request.set(request)  # this task's own context copy
        self.publisher.status("busy", request)
        try:
            handler = self.handlers.get(request.msg_type)
            if handler is None:
                self.unknown(request)
                return
            try:
                # call_handler inlined: one coroutine less for every request in flight
                # (~0.2 kB each, for as long as its cell runs)
                result = handler(request)
                if inspect.isawaitable(result):
                    result = await result
                self.finish(request, result)
            except Exception as exc:
                self.fail(request, exc)
        finally:
            self.publisher.status("idle", request)
