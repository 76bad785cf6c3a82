"""Concurrent mode: cells that ``await`` run at the same time instead of one after another.

The scheduler itself is the core engine's (:mod:`braid_kernel.engine.scheduler`: chained is the
default mode, concurrent a flag on it), so this feature has no engine half of its own:

* :mod:`.shell` — ``%braid mode concurrent|chained`` and ``%braid cancel N``.
"""
