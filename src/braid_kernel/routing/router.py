"""The router: where each incoming message goes (runs on the I/O thread).

* stdin -> the stdin broker (``input_reply``);
* control -> the control thread;
* shell requests that need no user code (kernel_info, comm_info,
  is_complete, ...) -> answered right here, so they are served even while
  a cell blocks the main thread;
* other shell messages -> the inbox of the shell named by the header's
  ``subshell_id`` (the main shell when absent); an unknown id is an error
  reply, never a silent fallback to the main shell.

Messages that fail to decode or verify are logged (at most a few lines a minute:
a flood is counted, not logged line by line) and dropped.  Each request handed
to the control thread or a shell is admitted to the transport's
:class:`~braid_kernel.transport.limits.Backlog`, which stops the reading of a
channel whose requests pile up unanswered.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

from braid_kernel.errors import WireError
from braid_kernel.routing.context import Request
from braid_kernel.routing.dispatch import SyncDispatcher
from braid_kernel.routing.publisher import Publisher
from braid_kernel.routing.stdin import StdinBroker
from braid_kernel.transport.limits import Backlog
from braid_kernel.transport.throttle import ThrottledLog
from braid_kernel.wire.channels import Channel
from braid_kernel.wire.codec import WireCodec

log = logging.getLogger("braid_kernel.routing")


class Target(Protocol):
    """Something that accepts requests from another thread."""

    def submit(self, request: Request) -> bool | None: ...


class ShellRegistry:
    """The shells requests can be routed to: ``None`` is the main shell."""

    def __init__(self) -> None:
        self._shells: dict[str | None, Target] = {}
        self._lock = threading.Lock()

    def add(self, subshell_id: str | None, target: Target) -> None:
        with self._lock:
            self._shells[subshell_id] = target

    def remove(self, subshell_id: str) -> Target | None:
        with self._lock:
            return self._shells.pop(subshell_id, None)

    def get(self, subshell_id: str | None) -> Target | None:
        return self._shells.get(subshell_id)

    def subshells(self) -> list[str]:
        """The ids of the subshells taking requests, oldest first."""
        with self._lock:
            return [sid for sid in self._shells if sid is not None]


#: Control requests answered on the receiving thread, like the inline shell requests: they
#: touch no user code, and skipping the control thread saves thread hand-offs (each a GIL
#: round trip while a cell holds the GIL in a pure-Python loop).
CONTROL_INLINE = frozenset({"kernel_info_request"})


def decode_request(
    codec: WireCodec,
    channel: Channel,
    frames: list[bytes],
    rejects: ThrottledLog,
    on_rejected: Callable[[Channel, WireError], None] | None = None,
) -> Request | None:
    """Decode and verify ``frames``; None (logged to ``rejects``, reported) for a message that fails."""
    try:
        msg = codec.decode(frames)
    except WireError as exc:
        rejects.warning("rejected a message on %s: %s", channel.value, exc)
        if on_rejected is not None:
            on_rejected(channel, exc)
        return None
    return Request(msg, channel, time.monotonic())


class Router:
    """Decodes frames and sends each message where it is served."""

    def __init__(
        self,
        codec: WireCodec,
        publisher: Publisher,
        *,
        inline: SyncDispatcher,
        control: Target,
        shells: ShellRegistry,
        stdin: StdinBroker,
        on_rejected: Callable[[Channel, WireError], None] | None = None,
        backlog: Backlog | None = None,
    ) -> None:
        self._codec = codec
        self._publisher = publisher
        self._inline = inline
        self._control = control
        self._shells = shells
        self._stdin = stdin
        self._on_rejected = on_rejected
        self._backlog = backlog
        self._rejects = ThrottledLog(log)
        self.last_request = 0.0  # time.monotonic() when the latest request arrived
        #: Set once a request came from an interactive frontend: an execute_request that allows
        #: stdin (JupyterLab, Notebook, VS Code, consoles send them; nbclient, papermill and
        #: nbconvert do not), so a person may soon ask for completions.
        self.interactive = threading.Event()
        self._when_interactive: list[Callable[[], None]] = []
        self._interactive_lock = threading.Lock()

    def when_interactive(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once an interactive frontend is seen (see :attr:`interactive`): on the
        routing thread when its request arrives, or here if one already has."""
        with self._interactive_lock:
            if not self.interactive.is_set():
                self._when_interactive.append(callback)
                return
        callback()

    def _became_interactive(self) -> None:
        with self._interactive_lock:
            self.interactive.set()
            callbacks, self._when_interactive = self._when_interactive, []
        for callback in callbacks:
            callback()

    def on_frames(self, channel: Channel, frames: list[bytes]) -> None:
        request = decode_request(self._codec, channel, frames, self._rejects, self._on_rejected)
        if request is not None:
            self.route(request, sum(map(len, frames)))

    def route(self, request: Request, size: int = 0) -> None:
        """Send a decoded, verified request (of ``size`` bytes) where it is served."""
        msg, channel = request.msg, request.channel
        self.last_request = request.received
        if not self.interactive.is_set() and msg.content.get("allow_stdin") is True:
            self._became_interactive()
        if channel is Channel.STDIN:
            self._stdin.deliver(msg)
        elif channel is Channel.CONTROL:
            if msg.msg_type in CONTROL_INLINE and msg.msg_type in self._inline.handlers:
                self._inline.dispatch(request)  # no user code, no control thread hop
            else:
                self._admit(request, size)
                self._control.submit(request)
        elif msg.msg_type in self._inline.handlers:
            self._inline.dispatch(request)
        else:
            self._to_shell(request, size)

    def _admit(self, request: Request, size: int) -> None:
        if self._backlog is not None:
            self._backlog.admit(request.channel, request.msg.msg_id, size)

    def _to_shell(self, request: Request, size: int) -> None:
        sid = request.msg.subshell_id
        target = self._shells.get(sid)
        self._admit(request, size)  # before the hand-off: the answer may come at once
        if target is not None and target.submit(request) is not False:
            return
        what = f"unknown subshell_id {sid!r}" if sid is not None else "the shell has stopped"
        log.warning("%s for %s", what, request.msg_type)
        self._inline.dispatch_error(request, "UnknownSubshell" if sid else "KernelStopping", what)
