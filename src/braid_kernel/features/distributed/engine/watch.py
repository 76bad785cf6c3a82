"""The kernel's distributed work before there is any: a watch on the user's first import of Dask's
client, which then makes the :class:`~.work.DistributedWork` (and imports it).

No Dask future exists before ``distributed.client`` is imported, so until then a kernel needs
neither the record of each cell's work nor the Dask hook (:mod:`.work`, :mod:`.dask_futures`):
:class:`WatchedWork` is what the kernel holds instead.  It keeps ``%braid cancel-work``'s setting,
passed on to the work once made; cells ending before then have nothing to cancel.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import ModuleType
from typing import TYPE_CHECKING

from braid_kernel.engine.cell import Cell
from braid_kernel.engine.import_hooks import AfterImport
from braid_kernel.engine.scheduler import Ending

if TYPE_CHECKING:
    from braid_kernel.features.distributed.engine.work import DistributedWork

#: The module whose import makes the work (:data:`.dask_futures.MODULE`, the one its hook patches).
DASK_CLIENT = "distributed.client"


class WatchedWork:
    """The kernel's distributed work, made when ``distributed.client`` is first imported;
    ``namespace``: see :class:`~.work.DistributedWork`."""

    def __init__(self, namespace: Callable[[], Mapping[str, object]]) -> None:
        self._namespace = namespace
        self._enabled = True
        self._hook: AfterImport | None = None
        self.work: DistributedWork | None = None

    def _imported(self, module: ModuleType) -> None:
        del module  # the Dask hook patches it: it is in sys.modules now
        from braid_kernel.features.distributed.engine.dask_futures import DaskFutures
        from braid_kernel.features.distributed.engine.work import DistributedWork

        work = DistributedWork(self._namespace, [DaskFutures()])
        work.enabled = self._enabled
        work.install()
        self.work = work

    @property
    def enabled(self) -> bool:
        """``%braid cancel-work on|off``: whether interrupts cancel the cells' work."""
        return self._enabled if self.work is None else self.work.enabled

    @enabled.setter
    def enabled(self, enabled: bool) -> None:
        self._enabled = enabled
        if self.work is not None:
            self.work.enabled = enabled

    @property
    def cancelled_total(self) -> int:
        return 0 if self.work is None else self.work.cancelled_total

    def install(self) -> None:
        self._hook = AfterImport(DASK_CLIENT, self._imported)  # at once if it is imported already
        self._hook.install()

    def close(self) -> None:
        if self._hook is not None:
            self._hook.uninstall()
        if self.work is not None:
            self.work.close()
            self.work = None

    def cell_ended(self, cell: Cell, ending: Ending) -> None:
        """The scheduler's ``on_end``: see :meth:`~.work.DistributedWork.cell_ended`."""
        if self.work is not None:
            self.work.cell_ended(cell, ending)
