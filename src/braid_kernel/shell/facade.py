"""``get_ipython().kernel``: the little of a kernel object libraries reach for.

ipywidgets' ``Output`` widget asks ``kernel.get_parent()`` for the request
whose output it should capture; older widget code looks for
``kernel.comm_manager``.  The facade answers from the current request, so
it is right in every cell, task and thread.
"""

from __future__ import annotations

from typing import Any

from braid_kernel.routing.context import current_request
from braid_kernel.wire.message import JsonDict


class KernelFacade:
    """Read-only view of the kernel for code running in cells."""

    implementation = "braid-kernel"

    def __init__(self, comm_manager: Any) -> None:
        self.comm_manager = comm_manager

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
