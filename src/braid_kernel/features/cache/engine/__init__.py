"""Cache mode: a cell whose code and input values were seen before is restored, not run.

* :mod:`.key` — the cell's key: normalised code, input names (static analysis) and their values;
* :mod:`.fingerprint` — content hashes of values, stable across processes;
* :mod:`.recording` — what a cell published, kept for replay (an output tap);
* :mod:`.entry` — what a cached cell left behind, pickled with cloudpickle;
* :mod:`.store` — the on-disk store (atomic writes, authenticated entries, LRU size bound);
* :mod:`.secret` — the per-user secret that authenticates entries, and the privacy checks;
* :mod:`.location` — where the store lives;
* :mod:`.cache` — :class:`CellCache`: cacheability, lookup, saving, counters;
* :mod:`.runner` — :class:`CachingRunner`, the cell runner that uses it.
"""

from __future__ import annotations

from braid_kernel.features.cache.engine.cache import CellCache
from braid_kernel.features.cache.engine.location import cache_root, store_directory
from braid_kernel.features.cache.engine.runner import CachingRunner
from braid_kernel.features.cache.engine.secret import secret_file
from braid_kernel.features.cache.engine.store import CacheStore

__all__ = (
    "CacheStore",
    "CachingRunner",
    "CellCache",
    "cache_root",
    "secret_file",
    "store_directory",
)
