"""The cache feature: the kernel's :class:`~braid_kernel.features.cache.engine.CellCache` (its
store opened on first use, per notebook under the cache root), ``%braid cache`` and
``%%braid nocache``.  The caching runner is part of every engine's runner chain, composed by the
root (:mod:`braid_kernel.app.engines`)."""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

from braid_kernel.engine.streams import OutStream
from braid_kernel.features.base import Feature
from braid_kernel.features.cache.engine import CacheStore, CellCache, cache_root, secret_file, store_directory
from braid_kernel.features.cache.shell import CACHE_USAGE, NOCACHE_USAGE, CacheCommands, opt_out_marker
from braid_kernel.shell.braid_magic import Subcommand


def kernel_cache(cache_dir: Path | None, cache_size: int, *, enabled: bool) -> CellCache:
    """The kernel's cell cache (``enabled``: cache mode is on from the start); ``cache_dir``: the
    cache root (None: ``$BRAID_CACHE_DIR`` or the user cache), ``cache_size``: bytes its store
    for this notebook may hold."""
    return CellCache(
        functools.partial(_open_store, cache_dir, cache_size), enabled=enabled, record_output=_record_output
    )


def build(cache: CellCache) -> Feature:
    commands = CacheCommands(cache)
    return Feature(
        "cache",
        subcommands=(
            Subcommand("cache", commands.cache_command, CACHE_USAGE, "cache mode: on, off, info, clear"),
            Subcommand(
                "nocache", commands.nocache_command, NOCACHE_USAGE, "%%braid nocache: run a cell uncached"
            ),
        ),
        cleanup_transformers=(opt_out_marker,),
    )


def _open_store(cache_dir: Path | None, cache_size: int) -> CacheStore:
    """Cache mode's store for this kernel: per notebook (or working directory) under the root."""
    root = cache_root(cache_dir, os.environ)
    directory = store_directory(root, os.environ, Path.cwd())
    return CacheStore(directory, cache_size, secret_file(os.environ))


def _record_output(enabled: bool) -> None:
    """Cache mode: make the cell output streams copy text into cell recordings (or stop)."""
    for stream in (sys.stdout, sys.stderr):
        owner = getattr(getattr(stream, "record", None), "__self__", None)  # also through proxies
        if isinstance(owner, OutStream):
            owner.record(enabled)
