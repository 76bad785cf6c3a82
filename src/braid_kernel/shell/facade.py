"""``get_ipython().kernel``: what libraries reach for on ipykernel's kernel object.

Each answer is computed at the moment of use, so it is right in every cell, task and thread:

* ``get_parent()`` (ipywidgets' ``Output`` widget captures the request it names),
  ``parent_header``, ``comm_manager``, ``shell``, ``execution_count``, ``ident``, ``log``,
  ``profile_dir``;
* ``session.send(kernel.iopub_socket, msg_type, content, parent=...)`` and
  ``send_response(kernel.iopub_socket, ...)``: code that publishes its own IOPub messages
  (display ids, custom message types) gets them sent through the kernel's publisher, with the
  parent it names (the current request's rules apply when that is the current request);
* ``io_loop.add_callback(fn, *args)``: ``fn`` runs on the main shell's event loop (from any
  thread, as with tornado; a coroutine it returns runs as a task of the main shell).

The ZeroMQ sockets and ipykernel's internals (``shell_streams``, ``do_one_iteration``,
``stdin_socket``...) are not offered: asking for one raises an ``AttributeError`` that names what
to use instead (so ``hasattr`` stays false, as libraries probing for them expect).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from braid_kernel.routing.context import current_request
from braid_kernel.routing.publisher import Publisher
from braid_kernel.wire.message import JsonDict

log = logging.getLogger("braid_kernel")

#: ipykernel attributes not offered, and what to use instead.
_NOT_OFFERED = {
    "do_one_iteration": "braid serves comm messages (widgets) while a cell awaits: `await asyncio.sleep(0)`",
    "shell_streams": "the kernel's sockets belong to its I/O thread; publish with kernel.session.send",
    "shell_stream": "the kernel's sockets belong to its I/O thread; publish with kernel.session.send",
    "control_stream": "the kernel's sockets belong to its I/O thread; publish with kernel.session.send",
    "stdin_socket": "ask the frontend for input with input() or getpass.getpass()",
    "iopub_thread": "publish with kernel.session.send(kernel.iopub_socket, ...)",
    "control_thread": "control requests are served by the kernel's own thread",
}


class IOPubChannel:
    """What ``kernel.iopub_socket`` is: a name for IOPub to pass to ``session.send``."""

    def __repr__(self) -> str:
        return "<braid IOPub channel (pass it to kernel.session.send)>"


class KernelSession:
    """The part of jupyter_client's ``Session`` that code in cells uses, publishing through
    the kernel (messages get the kernel's own headers and signatures)."""

    username = "kernel"

    def __init__(self, publisher: Publisher, session_id: str, iopub: IOPubChannel) -> None:
        self._publisher = publisher
        self.session = session_id
        self._iopub = iopub

    @property
    def msg_id(self) -> str:
        """A new message id (as ``Session.msg_id`` gives)."""
        return uuid.uuid4().hex

    def msg(
        self,
        msg_type: str,
        content: JsonDict | None = None,
        parent: JsonDict | None = None,
        header: JsonDict | None = None,
        metadata: JsonDict | None = None,
    ) -> JsonDict:
        """A message dict, as ``Session.msg`` builds it (to pass to :meth:`send`)."""
        head = header or {"msg_id": self.msg_id, "msg_type": msg_type, "session": self.session}
        return {
            "header": head,
            "msg_id": head.get("msg_id"),
            "msg_type": msg_type,
            "parent_header": _header_of(parent),
            "content": content if content is not None else {},
            "metadata": metadata if metadata is not None else {},
        }

    def send(  # noqa: PLR0917 - jupyter_client's Session.send signature, called positionally
        self,
        stream: object,
        msg_or_type: JsonDict | str,
        content: JsonDict | None = None,
        parent: JsonDict | None = None,
        ident: object = None,
        buffers: Sequence[Any] | None = None,
        track: bool = False,
        header: JsonDict | None = None,
        metadata: JsonDict | None = None,
    ) -> JsonDict:
        """Publish on IOPub (``stream`` must be ``kernel.iopub_socket``); returns the message.

        ``ident`` (the IOPub topic) and ``track`` have no meaning here and are ignored.
        """
        del ident, track
        if stream is not self._iopub:
            raise ValueError(
                f"braid's kernel.session.send publishes on kernel.iopub_socket only, not {stream!r}:"
                " replies and stdin belong to the kernel (use input() to ask the frontend)"
            )
        if isinstance(msg_or_type, dict):
            msg = msg_or_type
            if parent is None and msg.get("parent_header"):
                parent = msg["parent_header"]
        else:
            msg = self.msg(msg_or_type, content, parent, header, metadata)
        parent_header = _header_of(parent)
        self._publisher.iopub_for(
            parent_header or None,
            str(msg["msg_type"] if "msg_type" in msg else msg["header"]["msg_type"]),
            msg.get("content") or {},
            metadata=msg.get("metadata") or {},
            buffers=tuple(buffers or ()),
        )
        return {**msg, "parent_header": parent_header}


class KernelLoop:
    """``kernel.io_loop``: tornado's ``add_callback`` onto the main shell's event loop."""

    def __init__(self, call_on_main: Callable[..., None]) -> None:
        self._call_on_main = call_on_main

    def add_callback(self, callback: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Run ``callback(*args, **kwargs)`` soon on the main shell's loop (from any thread)."""
        self._call_on_main(callback, *args, **kwargs)

    def call_soon_threadsafe(self, callback: Callable[..., Any], *args: Any) -> None:
        """asyncio's spelling of :meth:`add_callback`."""
        self._call_on_main(callback, *args)


class KernelFacade:
    """View of the kernel for code running in cells (see the module docstring)."""

    implementation = "braid-kernel"
    int_id = -1  # ipykernel's default (an ipyparallel engine's number)

    def __init__(
        self,
        comm_manager: Any,
        *,
        shell: Any = None,
        publisher: Publisher | None = None,
        session_id: str = "",
        call_on_main: Callable[..., None] | None = None,
    ) -> None:
        self.comm_manager = comm_manager
        self.shell = shell
        self.ident = session_id
        self.log = log
        self.iopub_socket = IOPubChannel()
        self.session = None if publisher is None else KernelSession(publisher, session_id, self.iopub_socket)
        self.io_loop = None if call_on_main is None else KernelLoop(call_on_main)

    def get_parent(self, channel: str | None = None) -> JsonDict:
        """The message the calling code runs for (empty outside any request)."""
        del channel
        request = current_request.get()
        if request is None:
            return {}
        return request.msg.as_dict()

    @property
    def _parent_header(self) -> JsonDict:
        return self.get_parent()

    @property
    def parent_header(self) -> JsonDict:
        """The header of the message the calling code runs for."""
        return _header_of(self.get_parent())

    @property
    def execution_count(self) -> int:
        return int(getattr(self.shell, "execution_count", 0))

    @property
    def profile_dir(self) -> Any:
        return getattr(self.shell, "profile_dir", None)

    def send_response(  # noqa: PLR0917 - ipykernel's signature, called positionally
        self,
        stream: object,
        msg_or_type: JsonDict | str,
        content: JsonDict | None = None,
        ident: object = None,
        buffers: Sequence[Any] | None = None,
        track: bool = False,
        header: JsonDict | None = None,
        metadata: JsonDict | None = None,
        channel: str | None = None,
    ) -> JsonDict | None:
        """``session.send`` with the current request as parent (ipykernel's ``send_response``)."""
        if self.session is None:
            return None
        parent = self.get_parent(channel)
        return self.session.send(
            stream, msg_or_type, content, parent, ident, buffers, track, header, metadata
        )

    def __getattr__(self, name: str) -> Any:
        instead = _NOT_OFFERED.get(name)
        if instead is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        raise AttributeError(f"braid's kernel object has no {name!r}: {instead}")


def _header_of(parent: JsonDict | None) -> JsonDict:
    """The header of ``parent``, which may be a whole message or a header already."""
    if not parent:
        return {}
    header = parent.get("header")
    return dict(header) if isinstance(header, dict) else dict(parent)
