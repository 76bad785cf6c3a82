"""The cache feature: the kernel's :class:`~braid_kernel.features.cache.engine.cache.CellCache` (its
store opened on first use, per notebook under the cache root), ``%braid cache`` and
``%%braid nocache``, and a :class:`~braid_kernel.features.cache.engine.layer.CacheLayer` around
every shell's runner (a multi-mode session's with a cache scoped to it, which its name scopes
once named), which caches while cache mode is on (at startup or after ``%braid cache on``).  The
cache engine is imported when first used (cache mode on, ``%braid cache info|clear``)."""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from braid_kernel.engine.runner import CellRunner
from braid_kernel.engine.scheduler import Scheduler
from braid_kernel.engine.streams import OutStream
from braid_kernel.features.base import Feature, ShellPart, Starter
from braid_kernel.features.cache.engine.layer import CacheLayer, CacheSwitch
from braid_kernel.features.cache.shell import (
    CACHE_USAGE,
    NOCACHE_USAGE,
    CacheCommands,
    cache_layer,
    opt_out_marker,
)
from braid_kernel.shell.braid_magic import Subcommand

if TYPE_CHECKING:
    from braid_kernel.features.cache.engine.cache import CellCache
    from braid_kernel.features.cache.engine.store import CacheStore


def kernel_cache(cache_dir: Path | None, cache_size: int, *, enabled: bool) -> CacheSwitch:
    """The kernel's cell cache (``enabled``: cache mode is on from the start; the cache engine is
    imported when the cache is first used); ``cache_dir``: the cache root (None:
    ``$BRAID_CACHE_DIR`` or the user cache), ``cache_size``: bytes its store for this notebook may
    hold."""
    return CacheSwitch(functools.partial(_make_cache, cache_dir, cache_size), enabled=enabled)


def _make_cache(cache_dir: Path | None, cache_size: int) -> CellCache:
    from braid_kernel.features.cache.engine.cache import CellCache  # first use: see kernel_cache

    return CellCache(functools.partial(_open_store, cache_dir, cache_size), record_output=_record_output)


def build(cache_dir: Path | None, cache_size: int, *, enabled: bool) -> Feature:
    """See :func:`kernel_cache` for the arguments."""
    cache = kernel_cache(cache_dir, cache_size, enabled=enabled)
    commands = CacheCommands(cache)

    def layer(inner: CellRunner, session: str | None) -> CellRunner:
        return CacheLayer(inner, cache if session is None else cache.scoped(session))

    return Feature(
        "cache",
        subcommands=(
            Subcommand("cache", commands.cache_command, CACHE_USAGE, "cache mode: on, off, info, clear"),
            Subcommand(
                "nocache", commands.nocache_command, NOCACHE_USAGE, "%%braid nocache: run a cell uncached"
            ),
        ),
        cleanup_transformers=(opt_out_marker,),
        runner=layer,
        shell_part=_named_scope,
    )


def _named_scope(scheduler: Scheduler, start: Starter) -> ShellPart:
    """A named multi-mode session finds its cache entries again after a reconnect: its name
    becomes its cache's scope."""
    del start
    layer = cache_layer(scheduler)
    if layer is None:
        return ShellPart()
    cache = layer.switch

    def named(name: str) -> None:
        cache.scope = name

    return ShellPart(named=named)


def _open_store(cache_dir: Path | None, cache_size: int) -> CacheStore:
    """Cache mode's store for this kernel: per notebook (or working directory) under the root."""
    from braid_kernel.features.cache.engine.location import cache_root, store_directory
    from braid_kernel.features.cache.engine.secret import secret_file
    from braid_kernel.features.cache.engine.store import CacheStore

    root = cache_root(cache_dir, os.environ)
    directory = store_directory(root, os.environ, Path.cwd())
    return CacheStore(directory, cache_size, secret_file(os.environ))


def _record_output(enabled: bool) -> None:
    """Cache mode: make the cell output streams copy text into cell recordings (or stop)."""
    for stream in (sys.stdout, sys.stderr):
        owner = getattr(getattr(stream, "record", None), "__self__", None)  # also through proxies
        if isinstance(owner, OutStream):
            owner.record(enabled)
