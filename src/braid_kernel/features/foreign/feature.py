"""The foreign-backend feature: ``%trio`` / ``%asyncio`` (awaited where a cell uses them) and
``run_on`` in every namespace (``await run_on("trio"|"asyncio", fn, *args)``: the other backend
on demand)."""

from __future__ import annotations

from braid_kernel.engine.scheduler import Scheduler
from braid_kernel.features.base import Feature
from braid_kernel.features.foreign.engine import run_on
from braid_kernel.features.foreign.shell import ForeignLoopMagics, await_foreign_magics


def foreign_names(scheduler: Scheduler) -> dict[str, object]:
    del scheduler  # run_on is the same in every shell
    return {"run_on": run_on}


def build() -> Feature:
    return Feature(
        "foreign",
        magics=(ForeignLoopMagics,),
        post_transformers=(await_foreign_magics,),
        kernel_names=foreign_names,
    )
