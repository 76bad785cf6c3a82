"""The debugger feature: ``debug_request`` on the control channel, answered by a
:class:`~braid_kernel.features.debugger.engine.Debugger` made on the first one (debugpy is
imported only then, so a kernel that is never debugged does not pay for it).  kernel_info
announces it (``"debugger"`` in ``supported_features``) when the kernel was started with it.
The kernel's own threads (IPython's history writer, the I/O helpers) are marked
:func:`~braid_kernel.features.debugger.engine.untraced`: debugpy neither lists nor suspends them."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from braid_kernel.engine.cellfiles import CellFiles
from braid_kernel.features.base import Feature
from braid_kernel.features.debugger.engine import untraced
from braid_kernel.routing.context import Request
from braid_kernel.routing.publisher import Publisher
from braid_kernel.shell.history import KernelHistoryManager
from braid_kernel.shell.ipshell import ZMQInteractiveShell
from braid_kernel.wire.message import JsonDict

if TYPE_CHECKING:
    from braid_kernel.features.debugger.engine.debugger import Debugger

RichRepr = Callable[[Any], tuple[JsonDict, JsonDict]]


class DebugRequests:
    """The ``debug_request`` handler: one :class:`Debugger` for the kernel, made when the first
    request arrives.  ``user_namespace`` and ``rich_repr`` come from the shell (its ``user_ns``,
    its display formatter)."""

    def __init__(
        self,
        publisher: Publisher,
        cell_files: CellFiles,
        *,
        user_namespace: Callable[[], dict[str, Any]],
        rich_repr: RichRepr,
    ) -> None:
        self._publisher = publisher
        self._cell_files = cell_files
        self._user_namespace = user_namespace
        self._rich_repr = rich_repr
        self._lock = threading.Lock()
        self._debugger: Debugger | None = None

    def __call__(self, request: Request) -> JsonDict:
        return self.debugger().handle(dict(request.content))

    def debugger(self) -> Debugger:
        """The kernel's debugger (made on the first call)."""
        with self._lock:
            if self._debugger is None:
                self._debugger = self._make()
            return self._debugger

    def _make(self) -> Debugger:
        from braid_kernel.features.debugger.engine.debugger import Debugger

        publisher = self._publisher

        def send_event(event: JsonDict) -> None:
            publisher.iopub("debug_event", event, request=None)

        return Debugger(
            send_event=send_event,
            cell_files=self._cell_files,
            user_namespace=self._user_namespace,
            rich_repr=self._rich_repr,
        )


def build(
    publisher: Publisher, cell_files: CellFiles, shell: ZMQInteractiveShell, *, announced: bool
) -> Feature:
    """``announced``: say in kernel_info that the kernel has a debugger (``--debugger``);
    ``debug_request`` is answered either way, as before the feature existed."""
    requests = DebugRequests(
        publisher, cell_files, user_namespace=lambda: shell.user_ns, rich_repr=shell.display_formatter.format
    )
    history = shell.history_manager
    if isinstance(history, KernelHistoryManager):  # its saving thread starts with the first batch
        history.mark_saving_thread(untraced)  # kernel machinery, not user code
    return Feature(
        "debugger",
        control_handlers={"debug_request": requests},
        kernel_info_features=("debugger",) if announced else (),
        own_thread=_untraced,
    )


def _untraced(thread: threading.Thread) -> None:
    untraced(thread)
