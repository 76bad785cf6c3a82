"""The subshells feature: create/delete/list_subshell_request on the control channel and
``"kernel subshells"`` in kernel_info (JEP 91) where threads can start (not in the browser).
The threads and inboxes are core routing
(:class:`~braid_kernel.routing.subshells.SubshellManager`, built here over the kernel's shell
registry); what each subshell serves is :class:`~braid_kernel.features.subshells.shell.Subshells`.
An interrupt_request reaches every subshell; they are deleted when the kernel ends."""

from __future__ import annotations

import functools
from typing import Protocol

from braid_kernel.engine.modes import Backend, SubshellNamespace
from braid_kernel.engine.threadinterrupt import ThreadInterrupts
from braid_kernel.features.base import Feature
from braid_kernel.features.subshells.shell import MainShell, Subshells
from braid_kernel.routing.context import Request
from braid_kernel.routing.platform import CAN_START_THREADS
from braid_kernel.routing.publisher import Publisher
from braid_kernel.routing.router import ShellRegistry
from braid_kernel.routing.subshells import SubshellManager
from braid_kernel.shell.ipshell import ZMQInteractiveShell
from braid_kernel.wire.message import JsonDict


class Options(Protocol):
    """What the subshells take from the kernel's configuration."""

    @property
    def backend(self) -> Backend: ...

    @property
    def subshell_namespace(self) -> SubshellNamespace: ...


def build(
    main: MainShell,
    registry: ShellRegistry,
    shell: ZMQInteractiveShell,
    publisher: Publisher,
    *,
    thread_interrupts: ThreadInterrupts,
    options: Options,
) -> Feature:
    """``main``: how shells are built (the kernel's shell factory); ``registry``: where the
    router finds each subshell's inbox; ``options``: the backend subshells' loops run on, the
    kernel's ``--subshell-namespace``."""
    namespace = options.subshell_namespace
    subshells = Subshells(
        main,
        shell=shell,
        publisher=publisher,
        thread_interrupts=thread_interrupts,
        isolated=functools.partial(isolated, namespace),
    )
    manager = SubshellManager(registry, subshells.serve, options.backend.value, cancel=subshells.cancel)

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
        interrupt=subshells.interrupt,
        close=manager.delete_all,
    )


def isolated(default: SubshellNamespace, requested: object) -> bool:
    """Whether a create_subshell_request asking for ``requested`` (``"shared"``, ``"isolated"``, or
    None for the kernel's ``--subshell-namespace``, ``default``) makes an isolated subshell;
    ValueError for anything else."""
    if requested is None:
        return default is SubshellNamespace.ISOLATED
    try:
        return SubshellNamespace(requested) is SubshellNamespace.ISOLATED
    except ValueError:
        options = " or ".join(repr(n.value) for n in SubshellNamespace)
        raise ValueError(f"namespace must be {options}, not {requested!r}") from None
