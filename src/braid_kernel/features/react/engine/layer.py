"""Reactive mode's place in every shell's runner chain, without the reactive engine until it is used.

Reactive mode can be switched on at run time, so every shell's runner chain has a
:class:`ReactLayer` outermost; but a kernel that never uses it should not load the reactive
engine (:mod:`.runner`, the graph, the output slots).  The layer passes cells straight to its
inner runner until :meth:`ReactLayer.runner` is first asked for (the ``react`` mode at startup,
``%braid react on``, ``%braid graph``, a ``braid.dataflow`` comm opening): from then on every
cell goes through the :class:`~.runner.ReactiveRunner` it built, on or off.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import anyio

from braid_kernel.engine.cell import Cell, Outcome
from braid_kernel.engine.runner import CellRunner

if TYPE_CHECKING:
    from braid_kernel.features.react.engine.runner import ReactiveRunner


class ReactLayer(CellRunner):
    """The reactive layer around ``inner``; ``enabled``: reactive mode is on from the start
    (``lazy``: in its lazy form)."""

    def __init__(self, inner: CellRunner, *, enabled: bool = False, lazy: bool = False) -> None:
        super().__init__(inner.host, inner.publisher, inner.fd_output)
        self.inner = inner
        self._lock = threading.Lock()  # a dataflow comm may open on a subshell's thread
        self.built: ReactiveRunner | None = None  # the reactive runner, once something needed it
        if enabled:
            self.runner().enable(lazy=lazy)

    def runner(self) -> ReactiveRunner:
        """The shell's reactive runner (made, switched off, on first call)."""
        with self._lock:
            if self.built is None:
                from braid_kernel.features.react.engine.runner import ReactiveRunner  # first use: see above

                self.built = ReactiveRunner(self.inner, self.host)
            return self.built

    async def run(self, cell: Cell, scope: anyio.CancelScope) -> Outcome:
        if self.built is None:
            return await self.inner.run(cell, scope)
        return await self.built.run(cell, scope)
