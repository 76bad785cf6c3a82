"""The foreign-backend feature: ``%trio`` / ``%asyncio`` (awaited where a cell uses them) and
``run_on`` in every namespace (``await run_on("trio"|"asyncio", fn, *args)``: the other backend
on demand), both running on the kernel's :class:`~braid_kernel.features.foreign.engine.ForeignLoops`
(one long-lived loop per backend, started on first use; their threads end when the kernel does)."""

from __future__ import annotations

from IPython.core.interactiveshell import InteractiveShell

from braid_kernel.engine.scheduler import Scheduler
from braid_kernel.features.base import Feature, KernelNames
from braid_kernel.features.foreign.engine import ForeignLoops
from braid_kernel.features.foreign.shell import ForeignLoopMagics, await_foreign_magics


def foreign_names(loops: ForeignLoops) -> KernelNames:
    """``run_on`` on ``loops``: the same in every shell."""

    def names(scheduler: Scheduler) -> dict[str, object]:
        del scheduler
        return {"run_on": loops.run_on}

    return names


def build(shell: InteractiveShell) -> Feature:
    loops = ForeignLoops()  # run_on's loops of the other backend, started on first use
    return Feature(
        "foreign",
        magics=(ForeignLoopMagics(shell, loops),),
        post_transformers=(await_foreign_magics,),
        kernel_names=foreign_names(loops),
        close=loops.close,
    )
