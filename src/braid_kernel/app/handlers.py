"""The request handlers that run no user code: the inline and control tables.

Inline handlers answer shell-channel requests where they are received (the I/O thread, or the
host's thread in-process), so kernel_info, comm_info, is_complete, interrupt and shutdown are
answered even while a cell blocks the main thread.  Control handlers serve the control channel
(its own thread).  Each handler is built from what it needs, passed in; the root
(:mod:`braid_kernel.app.root`) builds both tables once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from braid_kernel.app.shells import ShellFactory
from braid_kernel.app.shutdown import Shutdown
from braid_kernel.integrations.comms import CommService
from braid_kernel.routing.context import Request
from braid_kernel.routing.dispatch import Handler
from braid_kernel.routing.publisher import Publisher
from braid_kernel.shell.requests import ShellRequests
from braid_kernel.wire.message import JsonDict


def kernel_info(content: JsonDict) -> Handler:
    """kernel_info_request: ``content``, computed once."""

    def handle(request: Request) -> JsonDict:
        del request
        return content

    return handle


def shutdown(publisher: Publisher, ending: Shutdown) -> Handler:
    """shutdown_request: reply (on the request's channel and on IOPub), then end the kernel."""

    def handle(request: Request) -> None:
        content = {"status": "ok", "restart": bool(request.field("restart", False))}
        publisher.iopub("shutdown_reply", content, request)
        publisher.reply(request, "shutdown_reply", content)
        ending.request()

    return handle


def interrupt(shells: ShellFactory, others: Callable[[float], None]) -> Handler:
    """interrupt_request: every shell's cells, the features' (the subshells') first, told when
    the request arrived (in multi mode, the sender's session's only)."""

    def handle(request: Request) -> JsonDict:
        if not shells.multi:
            others(request.received)
        shells.interrupt(request)
        return {"status": "ok"}

    return handle


def inline_handlers(
    info: JsonDict,
    *,
    publisher: Publisher,
    comms: CommService,
    requests: ShellRequests,
    shells: ShellFactory,
    interrupt_others: Callable[[float], None],
    ending: Shutdown,
) -> dict[str, Handler]:
    """Shell requests answered where they are received (no user code involved)."""
    return {
        "kernel_info_request": kernel_info(info),
        "comm_info_request": comms.comm_info,
        "is_complete_request": requests.is_complete,
        "shutdown_request": shutdown(publisher, ending),
        "interrupt_request": interrupt(shells, interrupt_others),
    }


def control_handlers(inline: Mapping[str, Handler], features: Mapping[str, Handler]) -> dict[str, Handler]:
    """Control-channel requests: the inline ones and the features' (the debugger's
    ``debug_request``, the subshells' create/delete/list)."""
    return {**inline, **features}
