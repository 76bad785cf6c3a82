"""The engine half of distributed cancellation (no IPython): see :mod:`.work`."""

from braid_kernel.features.distributed.engine.work import DistributedWork, WorkKind

__all__ = ("DistributedWork", "WorkKind")
