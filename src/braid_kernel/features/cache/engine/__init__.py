"""Cache mode: a cell whose code and input values were seen before is restored, not run.

* :mod:`.key` — the cell's key: normalised code, input names (static analysis) and their values;
* :mod:`.fingerprint` — content hashes of values, stable across processes;
* :mod:`.recording` — what a cell published, kept for replay (an output tap);
* :mod:`.entry` — what a cached cell left behind, pickled with cloudpickle;
* :mod:`.store` — the on-disk store (atomic writes, authenticated entries, LRU size bound);
* :mod:`.secret` — the per-user secret that authenticates entries, and the privacy checks;
* :mod:`.location` — where the store lives;
* :mod:`.cache` — :class:`~.cache.CellCache`: cacheability, lookup, saving, counters;
* :mod:`.runner` — :class:`~.runner.CachingRunner`, the cell runner that uses it;
* :mod:`.layer` — what every shell's runner chain holds until cache mode is used, so that a kernel
  that never caches does not import the modules above.

This package re-exports nothing: importing it (and :mod:`.layer`) loads none of them.
"""
