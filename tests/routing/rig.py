"""A kernel's routing core on a MemoryTransport, and a client that talks to it.

No sockets and no threads of our own: frames go in through
``MemoryTransport.deliver`` (as the I/O thread would hand them over) and come
out of ``MemoryTransport.drain`` signed, as a frontend would receive them.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import anyio

from braid_kernel.errors import WireError
from braid_kernel.routing.context import Request
from braid_kernel.routing.dispatch import AsyncDispatcher, Handler, SyncDispatcher
from braid_kernel.routing.inbox import ShellInbox
from braid_kernel.routing.publisher import Publisher
from braid_kernel.routing.router import Router, ShellRegistry
from braid_kernel.routing.stdin import StdinBroker
from braid_kernel.transport.limits import Backlog
from braid_kernel.transport.memory import MemoryTransport
from braid_kernel.transport.outbox import Outbox
from braid_kernel.wire import jsonutil
from braid_kernel.wire.channels import Channel
from braid_kernel.wire.codec import DELIMITER, WireCodec
from braid_kernel.wire.message import JsonDict, Message
from braid_kernel.wire.signing import Signer

KEY = b"routing-test-key"
IDENTITY = b"frontend-1"
WAIT = 10.0  # seconds: a backstop against hangs, never a performance bound


class Client:
    """The frontend's side of the wire: signs requests, decodes what the kernel sends."""

    def __init__(self, key: bytes = KEY) -> None:
        self.codec = WireCodec(Signer(key), "client-session", "tester")

    def frames(
        self,
        msg_type: str,
        content: JsonDict | None = None,
        *,
        subshell_id: str | None = None,
        parent: JsonDict | None = None,
        identity: bytes = IDENTITY,
    ) -> tuple[list[bytes], JsonDict]:
        """Signed frames of a new message, and its header as the kernel will parse it."""
        header = self.codec.header(msg_type, subshell_id)
        frames = self.codec.encode(msg_type, content or {}, parent, identities=[identity], header=header)
        parsed: JsonDict = jsonutil.loads(frames[frames.index(DELIMITER) + 2])
        return frames, parsed


@dataclass
class RecordingTarget:
    """A shell or control stand-in that records what is routed to it."""

    accept: bool = True
    requests: list[Request] = field(default_factory=list)

    def submit(self, request: Request) -> bool:
        self.requests.append(request)
        return self.accept


class Rig:
    """Router, dispatchers, publisher, stdin broker and outbox, wired as the kernel wires them."""

    def __init__(self, inline: Mapping[str, Handler] | None = None, backlog: Backlog | None = None) -> None:
        self.outbox = Outbox()
        self.publisher = Publisher(self.outbox)
        self.codec = WireCodec(Signer(KEY), "kernel-session", "kernel")
        self.registry = ShellRegistry()
        self.control = RecordingTarget()
        self.stdin = StdinBroker(self.outbox, "kernel-session", "kernel")
        self.inline_handlers: dict[str, Handler] = dict(inline or {})  # served on the "I/O thread"
        self.inline = SyncDispatcher(self.publisher, self.inline_handlers)
        self.rejected: list[tuple[Channel, WireError]] = []
        self.router = Router(
            self.codec,
            self.publisher,
            inline=self.inline,
            control=self.control,
            shells=self.registry,
            stdin=self.stdin,
            on_rejected=lambda channel, exc: self.rejected.append((channel, exc)),
            backlog=backlog,
        )
        self.transport = MemoryTransport(self.codec, self.outbox, self.router.on_frames)
        self.client = Client()

    def send(self, channel: Channel, msg_type: str, content: JsonDict | None = None, **kw: Any) -> JsonDict:
        """Deliver a signed message from the client; its header."""
        frames, header = self.client.frames(msg_type, content, **kw)
        self.transport.deliver(channel, frames)
        return header

    def sent(self) -> list[tuple[Channel, Message]]:
        """What the kernel has sent since the last call, decoded by the client."""
        return [(channel, self.client.codec.decode(frames)) for channel, frames in self.transport.drain()]

    async def until_idle(self, *parents: JsonDict) -> list[tuple[Channel, Message]]:
        """Collect what the kernel sends until the ``idle`` status of every one of ``parents``."""
        collected: list[tuple[Channel, Message]] = []
        with anyio.fail_after(WAIT):
            while True:
                collected.extend(self.sent())
                if all(any(is_status(m, "idle", p) for _, m in collected) for p in parents):
                    return collected
                await anyio.sleep(0.001)

    def close(self) -> None:
        self.outbox.close()


def is_status(msg: Message, state: str, parent: JsonDict) -> bool:
    return (
        msg.msg_type == "status"
        and msg.content.get("execution_state") == state
        and msg.parent_header.get("msg_id") == parent["msg_id"]
    )


def of(parent: JsonDict, sent: list[tuple[Channel, Message]]) -> list[tuple[Channel, Message]]:
    """The messages whose parent is ``parent``."""
    return [(c, m) for c, m in sent if m.parent_header.get("msg_id") == parent["msg_id"]]


def kinds(sent: list[tuple[Channel, Message]]) -> list[str]:
    """``channel:msg_type`` (plus the state of status messages), in order."""
    return [
        f"{c.value}:{m.msg_type}" + (f":{m.content['execution_state']}" if m.msg_type == "status" else "")
        for c, m in sent
    ]


@contextlib.asynccontextmanager
async def serving(
    rig: Rig, handlers: Mapping[str, Handler], subshell_id: str | None = None
) -> AsyncIterator[ShellInbox]:
    """A shell served by an AsyncDispatcher on this loop, registered for ``subshell_id``."""
    inbox = ShellInbox()
    rig.registry.add(subshell_id, inbox)
    dispatcher = AsyncDispatcher(rig.publisher, dict(handlers))
    async with anyio.create_task_group() as tg:
        tg.start_soon(dispatcher.serve, inbox.receive)
        yield inbox
        tg.cancel_scope.cancel()
