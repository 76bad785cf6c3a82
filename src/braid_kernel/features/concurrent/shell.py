"""``%braid mode`` and ``%braid cancel``: the scheduler from a cell.

Both act on the shell the calling cell runs in (the main shell or a
subshell), found through :data:`braid_kernel.engine.scheduler.current_scheduler`.
"""

from __future__ import annotations

from braid_kernel.engine.scheduler import Scheduler, current_scheduler
from braid_kernel.shell.braid_magic import usage_error

MODE_USAGE = "mode [concurrent|chained]"
CANCEL_USAGE = "cancel N [N...]"


def _scheduler(usage: str) -> Scheduler:
    scheduler = current_scheduler.get()
    if scheduler is None:
        raise usage_error(usage, "only available inside a running cell")
    return scheduler


def braid_mode(args: list[str], cell: str | None) -> None:
    """Switch how the cells submitted from now on run; without argument, show it."""
    del cell
    scheduler = _scheduler(MODE_USAGE)
    if not args:
        print("chained" if scheduler.chained else "concurrent")
        return
    if len(args) != 1 or args[0] not in ("concurrent", "chained"):
        raise usage_error(MODE_USAGE, f"expected 'concurrent' or 'chained', got {' '.join(args)!r}")
    if args[0] == "concurrent":
        scheduler.unchain()
    else:
        scheduler.chain()


def braid_cancel(args: list[str], cell: str | None) -> None:
    """Cancel the running or waiting cells with these execution counts."""
    del cell
    scheduler = _scheduler(CANCEL_USAGE)
    if not args:
        raise usage_error(CANCEL_USAGE, "which cell? give its execution count, e.g. %braid cancel 3")
    try:
        counts = [int(arg) for arg in args]
    except ValueError:
        raise usage_error(CANCEL_USAGE, f"execution counts are integers, got {' '.join(args)!r}") from None
    missing = [n for n in counts if not scheduler.cancel(n)]
    if missing:
        running = ", ".join(map(str, scheduler.running_counts())) or "none"
        listed = ", ".join(map(str, missing))
        print(f"%braid cancel: no running or waiting cell [{listed}] (running now: {running})")
