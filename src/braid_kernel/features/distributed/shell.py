"""``%braid cancel-work [on|off]``: whether interrupts cancel the cells' distributed work.

On by default.  ``off`` (per kernel, e.g. from an IPython startup file) makes an interrupt or
``%braid cancel`` stop only the cell, leaving its Dask futures running, as other
kernels do; without argument it shows the setting.
"""

from __future__ import annotations

from braid_kernel.features.distributed.engine.watch import WatchedWork
from braid_kernel.shell.braid_magic import Subcommand, usage_error

USAGE = "cancel-work [on|off]"


def cancel_work_command(work: WatchedWork) -> Subcommand:
    """``%braid cancel-work``, acting on the kernel's ``work``."""

    def cancel_work(args: list[str], cell: str | None) -> None:
        del cell
        if not args:
            state = "on" if work.enabled else "off"
            print(
                f"cancel-work: {state} (an interrupted or cancelled cell's pending Dask futures are "
                f"cancelled; {work.cancelled_total} so far)"
            )
            return
        if len(args) != 1 or args[0] not in ("on", "off"):
            raise usage_error(USAGE, f"expected 'on' or 'off', got {' '.join(args)!r}")
        work.enabled = args[0] == "on"

    return Subcommand(
        "cancel-work", cancel_work, USAGE, "interrupts cancel the cell's Dask futures (default on)"
    )
