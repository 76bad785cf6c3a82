"""Interrupts that reach the cluster: a cell's pending Dask futures are cancelled when that
cell is interrupted or ``%braid cancel``-led.

* :mod:`.engine` — :class:`~.engine.work.DistributedWork`: what each running cell created,
  recorded by hooks installed only once the user imports ``distributed`` (made, and imported,
  then: :class:`~.engine.watch.WatchedWork`), and the rule that picks what to cancel when a cell
  ends interrupted;
* :mod:`.shell` — ``%braid cancel-work on|off``, the per-kernel opt-out.
"""
