"""Comms (the channel ipywidgets talks over), through the ``comm`` package.

The ``comm`` package lets a kernel supply the comm class and the manager:
``comm.create_comm`` and ``comm.get_comm_manager`` are pointed at ours.  A
comm's messages are published with the *current* request as parent — the
cell that created or updated a widget, or the frontend's comm_msg being
handled — so nbclient and output areas attribute them correctly.

In multi mode every client session has a comm manager of its own (its comms; the targets are
shared, as the modules registering them are): the :class:`CommScope` a multi-mode kernel builds
its :class:`CommService` with makes ``current`` return the calling session's manager and
``comm_info`` answer from the requesting session's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import comm
from comm.base_comm import BaseComm, CommManager

from braid_kernel.engine.standin import stand_in
from braid_kernel.routing.context import Request
from braid_kernel.routing.dispatch import Handler
from braid_kernel.routing.publisher import Publisher
from braid_kernel.wire.message import COMM_MESSAGES, JsonDict


class KernelComm(BaseComm):
    """A comm whose messages go out on IOPub through the kernel's publisher; closing it
    unregisters it from the manager that holds it — not from whichever manager
    ``comm.get_comm_manager()`` returns at that moment (another session's in multi mode,
    another kernel's in-process, none at all when a widget is garbage-collected late)."""

    publisher: Publisher | None = None  # set on the class by :meth:`CommService.install`
    manager: CommManager | None = None  # set when a manager registers it

    def close(
        self, data: Any = None, metadata: Any = None, buffers: Any = None, deleting: bool = False
    ) -> None:
        if self._closed:
            return
        self._closed = True
        self.publish_msg(
            "comm_close", data=self._close_data if data is None else data, metadata=metadata, buffers=buffers
        )
        if not deleting and self.manager is not None:
            self.manager.comms.pop(self.comm_id, None)

    def publish_msg(
        self, msg_type: str, data: Any = None, metadata: Any = None, buffers: Any = None, **keys: Any
    ) -> None:
        if self.publisher is None:
            raise RuntimeError("comms are not connected to a kernel")
        content: JsonDict = {"data": data if data is not None else {}, "comm_id": self.comm_id, **keys}
        self.publisher.iopub(msg_type, content, metadata=metadata or {}, buffers=buffers or ())


class KernelCommManager(CommManager):
    """A comm manager that tells each comm it registers where it is held."""

    def register_comm(self, comm: BaseComm) -> str:
        if isinstance(comm, KernelComm):
            comm.manager = self
        return super().register_comm(comm)


class CommScope(Protocol):
    """Multi mode: whose comms the running code and each request use."""

    def current(self) -> CommManager | None:
        """The comm manager of the code running now (cells, comm handlers); None: the kernel's."""
        ...

    def of_request(self, request: Request) -> CommManager | None:
        """The comm manager of the client that sent ``request``; None: it has no comms."""
        ...


class CommService:
    """Owns the kernel's comm manager and serves the comm messages; with a ``scope`` (multi
    mode), comms belong to the scope's managers instead (targets stay the kernel's)."""

    def __init__(self, publisher: Publisher, scope: CommScope | None = None) -> None:
        self.manager: CommManager = KernelCommManager()
        self.publisher = publisher
        self._scope = scope

    def current(self) -> CommManager:
        """The comm manager of the running code (the kernel's, except in multi mode)."""
        scoped = self._scope.current() if self._scope is not None else None
        return scoped if scoped is not None else self.manager

    def factories(self) -> tuple[Callable[..., BaseComm], Callable[[], CommManager]]:
        """The ``comm.create_comm`` / ``comm.get_comm_manager`` that make the ``comm`` package use
        this kernel: functions that pass for comm's own (see braid_kernel.engine.standin)."""
        comm_class = type("BraidComm", (KernelComm,), {"publisher": self.publisher})

        @stand_in(comm.create_comm, qualname="create_comm")  # comm's own is comm._create_comm
        def create_comm(*args: Any, **kwargs: Any) -> BaseComm:
            made: BaseComm = comm_class(*args, **kwargs)
            return made

        @stand_in(comm.get_comm_manager, qualname="get_comm_manager")
        def get_comm_manager() -> CommManager:
            return self.current()

        return create_comm, get_comm_manager

    def install(self) -> None:
        """Make the ``comm`` package use this kernel for good (a kernel installs the factories
        with its other process hooks instead: :mod:`braid_kernel.process_hooks`)."""
        comm.create_comm, comm.get_comm_manager = self.factories()

    def shell_handlers(self) -> dict[str, Handler]:
        """Handlers for messages that run comm callbacks (user code): on the shell."""

        def run(method: str) -> Handler:
            def handle(request: Request) -> None:
                getattr(self.current(), method)(None, None, request.msg.as_dict())

            return handle

        return {name: run(name) for name in COMM_MESSAGES}

    def comm_info(self, request: Request) -> JsonDict:
        """comm_info_request: the open comms, optionally of one target (any thread)."""
        target = request.field("target_name")
        manager = self._scope.of_request(request) if self._scope is not None else self.manager
        comms = {
            cid: {"target_name": c.target_name}
            for cid, c in list(manager.comms.items() if manager is not None else ())
            if target is None or c.target_name == target
        }
        return {"status": "ok", "comms": comms}
