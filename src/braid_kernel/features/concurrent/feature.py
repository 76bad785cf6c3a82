"""The concurrent feature: ``%braid mode`` and ``%braid cancel``, and the chain switch names
(``__unchain_execution__``, ``__chain_execution__``, ``__task__``: kept from akernel, so its users'
notebooks keep working) in every namespace.  The scheduler itself is the core engine's."""

from __future__ import annotations

from braid_kernel.engine.scheduler import Scheduler
from braid_kernel.features.base import Feature
from braid_kernel.features.concurrent.shell import CANCEL_USAGE, MODE_USAGE, braid_cancel, braid_mode
from braid_kernel.shell.braid_magic import Subcommand


def chain_names(scheduler: Scheduler) -> dict[str, object]:
    """The run-time chain switch, bound to a shell's scheduler."""
    return {
        "__unchain_execution__": scheduler.unchain,
        "__chain_execution__": scheduler.chain,
        "__task__": scheduler.wait_for,
    }


def build() -> Feature:
    return Feature(
        "concurrent",
        subcommands=(
            Subcommand("mode", braid_mode, MODE_USAGE, "run the next cells concurrently or chained"),
            Subcommand("cancel", braid_cancel, CANCEL_USAGE, "cancel running or waiting cells by number"),
        ),
        kernel_names=chain_names,
    )
