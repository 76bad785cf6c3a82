"""The distributed feature: the kernel's
:class:`~braid_kernel.features.distributed.engine.work.DistributedWork` (the Dask futures each cell
made: an interrupted cell's pending ones are cancelled, told by every shell's scheduler) and
``%braid cancel-work``; its hook on Dask's ``Future`` (an import hook until the user imports
``distributed``) is one of the process hooks (:func:`braid_kernel.process_hooks.kernel_hooks`).
Until that import the kernel holds a
:class:`~braid_kernel.features.distributed.engine.watch.WatchedWork`: the record and the hook are
imported with Dask."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from braid_kernel.features.base import Feature, ProcessPatch
from braid_kernel.features.distributed.engine.watch import WatchedWork
from braid_kernel.features.distributed.shell import cancel_work_command


def kernel_work(namespace: Callable[[], Mapping[str, object]]) -> WatchedWork:
    """The kernel's record of its cells' distributed work (Dask futures), made at the user's
    first import of Dask's client; ``namespace``: the user namespace ``%braid cancel`` reads
    (names keep their futures)."""
    return WatchedWork(namespace)


def build(namespace: Callable[[], Mapping[str, object]]) -> Feature:
    """``namespace``: see :func:`kernel_work`."""
    work = kernel_work(namespace)
    return Feature(
        "distributed",
        subcommands=(cancel_work_command(work),),
        cell_ended=work.cell_ended,
        patches=(ProcessPatch("distributed work (Dask's Future)", work.install, work.close),),
    )
