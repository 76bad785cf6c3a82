"""``%braid cache on|off|info|clear`` and ``%%braid nocache``: cache mode from a cell.

``%%braid nocache`` as a cell's first line opts that cell out of the cache.  It is turned into
the equivalent first-line comment ``# braid: nocache`` before IPython looks for cell magics, so
the cell's body runs as ordinary code (top-level ``await`` included) and the cache sees the
comment.
"""

from __future__ import annotations

import re

from braid_kernel.engine.scheduler import Scheduler, current_scheduler
from braid_kernel.features.cache.engine.layer import CacheLayer, CacheSwitch
from braid_kernel.shell.braid_magic import usage_error

CACHE_USAGE = "cache [on|off|info|clear]"
NOCACHE_USAGE = "nocache"
NOCACHE_COMMENT = "# braid: nocache\n"
_NOCACHE_MAGIC = re.compile(r"%%braid\s+nocache\s*")


def opt_out_marker(lines: list[str]) -> list[str]:
    """IPython cleanup transformer: a first line ``%%braid nocache`` becomes ``# braid: nocache``."""
    if lines and _NOCACHE_MAGIC.fullmatch(lines[0]):
        return [NOCACHE_COMMENT, *lines[1:]]
    return lines


def cache_layer(scheduler: Scheduler) -> CacheLayer | None:
    """The caching layer in ``scheduler``'s runner chain (under the reactive one), if any."""
    runner: object = scheduler.runner
    while runner is not None and not isinstance(runner, CacheLayer):
        runner = getattr(runner, "inner", None)
    return runner


class CacheCommands:
    """The ``cache`` and ``nocache`` subcommands, acting on the cache of the calling cell's shell
    (a multi-mode session has its own), else on the kernel's ``cache``."""

    def __init__(self, cache: CacheSwitch) -> None:
        self.kernel_cache = cache

    @property
    def switch(self) -> CacheSwitch:
        scheduler = current_scheduler.get()
        layer = cache_layer(scheduler) if scheduler is not None else None
        return layer.switch if layer is not None else self.kernel_cache

    def cache_command(self, args: list[str], cell: str | None) -> None:
        del cell
        action = args[0] if args else "info"
        if len(args) > 1 or action not in ("on", "off", "info", "clear"):
            raise usage_error(CACHE_USAGE, f"expected on, off, info or clear, got {' '.join(args)!r}")
        switch = self.switch
        if action == "on":
            switch.enable()
            print(f"cache on: {switch.cache.store.directory}")
        elif action == "off":
            switch.disable()
            print("cache off")
        elif action == "clear":
            removed = switch.cache.store.clear()
            print(f"removed {removed} cached cells from {switch.cache.store.directory}")
        else:
            print(switch.cache.info())

    def nocache_command(self, args: list[str], cell: str | None) -> None:
        del args, cell  # a first-line %%braid nocache never gets here (see opt_out_marker)
        raise usage_error(
            NOCACHE_USAGE, "write %%braid nocache (or # braid: nocache) as the first line of the cell"
        )
