"""The subshells feature: create/delete/list_subshell_request on the control channel and
``"kernel subshells"`` in kernel_info (JEP 91) where threads can start (not in the browser).
The threads and inboxes are core routing
(:class:`~braid_kernel.routing.subshells.SubshellManager`); what each subshell serves is
:class:`~braid_kernel.features.subshells.shell.Subshells`."""

from __future__ import annotations

from braid_kernel.features.base import Feature
from braid_kernel.features.subshells.shell import Subshells
from braid_kernel.routing.context import Request
from braid_kernel.routing.platform import CAN_START_THREADS
from braid_kernel.routing.subshells import SubshellManager
from braid_kernel.wire.message import JsonDict


def build(manager: SubshellManager, subshells: Subshells) -> Feature:
    def create(request: Request) -> JsonDict:
        sid = manager.create(subshells.server(request.field("namespace")))
        return {"status": "ok", "subshell_id": sid}

    def delete(request: Request) -> JsonDict:
        manager.delete(str(request.field("subshell_id", "")))
        return {"status": "ok"}

    def listing(request: Request) -> JsonDict:
        del request
        return {"status": "ok", "subshell_id": manager.list()}

    return Feature(
        "subshells",
        control_handlers={
            "create_subshell_request": create,
            "delete_subshell_request": delete,
            "list_subshell_request": listing,
        },
        kernel_info_features=("kernel subshells",) if CAN_START_THREADS else (),  # a subshell is a thread
    )
