"""What the reactive runner tells frontends about each cell as a change goes through the graph.

:class:`~braid_kernel.features.react.engine.runner.ReactiveRunner` calls its progress listeners
with a batch of ``{cell key: Progress}`` and whether the batch starts a new *change* (the first
plan of a request: a cell the user ran, ``%braid run stale``, or the comm's ``run_stale``):

* at the start of each plan, every cell of it is ``QUEUED`` (it waits for the cells it reads
  from, or for its turn);
* each cell becomes ``RUNNING`` when it starts and then, when it ends, ``RAN`` (the cell the user
  ran), ``RERAN`` (a cell the change re-ran), ``CACHED`` (restored from the cache instead of
  running), ``FAILED``, ``SKIPPED`` (a cell it reads from failed) or ``MISSING`` (a name it reads
  is undefined: it shows ``None``);
* an interrupt ends the plan's cells that had not ended as ``CANCELLED``;
* in lazy mode, the cells a change made stale are ``STALE``.

The ``braid.dataflow`` comm sends each batch as it happens, so a page can label every cell the
kernel runs, not only the ones it sent itself.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping

__all__ = ("Progress", "ProgressListener")


class Progress(enum.Enum):
    """One cell's step in a change (the value is what the comm sends)."""

    QUEUED = "queued"
    RUNNING = "running"
    RAN = "ran"
    RERAN = "reran"
    CACHED = "cached"
    FAILED = "error"
    SKIPPED = "skipped"
    MISSING = "missing"
    STALE = "stale"
    CANCELLED = "cancelled"


#: ``listener(states, change)``: cells changed state; ``change`` when this starts a new change.
ProgressListener = Callable[[Mapping[str, Progress], bool], object]
