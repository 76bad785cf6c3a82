"""Reactive mode: names form a dependency graph across cells; changing one re-runs (or, lazy,
marks stale) the cells that read it, their outputs updated in place.

* :mod:`.engine` — the dataflow graph, :class:`~.engine.runner.ReactiveRunner`, output slots and
  the graph's pictures (no IPython);
* :mod:`.shell` — ``%braid react``, ``%braid graph``, ``%braid run stale`` (:mod:`.shell.commands`)
  and the ``braid.dataflow`` comm target the JupyterLab extension talks to
  (:mod:`.shell.dataflow`).
"""
