"""Cache mode: a cell whose code and input values were seen before is restored, not run.

* :mod:`.engine` — keys, fingerprints, entries, the on-disk store, :class:`~.engine.CellCache`
  and :class:`~.engine.CachingRunner` (no IPython);
* :mod:`.shell` — ``%braid cache`` and ``%%braid nocache``.

What a cached cell published is recorded by :mod:`.engine.recording`, an output tap
(:mod:`braid_kernel.routing.taps`: the publisher and the output streams offer it the cell's output).
"""
