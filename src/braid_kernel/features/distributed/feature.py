"""The distributed feature: ``%braid cancel-work``.  The kernel's
:class:`~braid_kernel.features.distributed.engine.DistributedWork` is built by the root, which
hands its ``cell_ended`` to every engine's scheduler (``on_end``) and its hook on Dask's
``Future`` to the process hooks (:func:`braid_kernel.process_hooks.kernel_hooks`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from braid_kernel.features.base import Feature
from braid_kernel.features.distributed.engine import DistributedWork
from braid_kernel.features.distributed.engine.dask_futures import DaskFutures
from braid_kernel.features.distributed.shell import cancel_work_command


def kernel_work(namespace: Callable[[], Mapping[str, object]]) -> DistributedWork:
    """The kernel's record of its cells' distributed work (Dask futures); ``namespace``: the
    user namespace ``%braid cancel`` reads (names keep their futures)."""
    return DistributedWork(namespace, [DaskFutures()])


def build(work: DistributedWork) -> Feature:
    return Feature("distributed", subcommands=(cancel_work_command(work),))
