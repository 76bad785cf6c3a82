"""How a shell's engine is made: the runner chain, the scheduler and the execute handler.

Every shell of a kernel (the main shell, each subshell, each multi-mode session) runs cells
through an engine built the same way: the host's runner, wrapped by the features' runner layers
(cache mode's, wrapped by reactive mode's: see :mod:`braid_kernel.features.base`), under
a :class:`~braid_kernel.engine.scheduler.Scheduler` (chained unless concurrent mode) and an
:class:`~braid_kernel.engine.execute.ExecuteHandler`.  :class:`Engines` is built once by the
root from what every engine shares, and handed to whoever builds shells.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from braid_kernel.app.config import KernelConfig
from braid_kernel.engine.cell import Cell
from braid_kernel.engine.execute import ExecuteHandler
from braid_kernel.engine.fdcapture import FdCapture
from braid_kernel.engine.interrupt import Interrupter
from braid_kernel.engine.modes import Mode
from braid_kernel.engine.runner import CellRunner
from braid_kernel.engine.scheduler import Ending, Scheduler
from braid_kernel.features.base import KernelNames, PartOfShell, RunnerLayer, ShellPart, Starter
from braid_kernel.routing.publisher import Publisher
from braid_kernel.shell.host import IPythonHost


class Engines:
    """Builds engines from the kernel's shared parts.

    ``layers``: the features' runner layers, outermost first; ``parts``: the features' parts of
    a serving shell (see :meth:`parts`); ``names``: the names the features put in every
    namespace, bound to its shell's scheduler (see :meth:`kernel_names`); ``fd_capture``: a
    kernel process's capture of fds 1 and 2 (None in-process); ``interrupter``: a kernel
    process's SIGINT handling (None in-process), which takes SIGINT back after each main-thread
    cell that installed a handler of its own; ``on_end``: told how each cell ended (distributed
    cancellation)."""

    def __init__(
        self,
        config: KernelConfig,
        publisher: Publisher,
        *,
        layers: Sequence[RunnerLayer],
        parts: Sequence[PartOfShell],
        names: KernelNames,
        fd_capture: FdCapture | None,
        interrupter: Interrupter | None,
        on_end: Callable[[Cell, Ending], None] | None = None,
    ) -> None:
        self.modes = config.modes
        self.publisher = publisher
        self._layers = tuple(layers)
        self._parts = tuple(parts)
        self._names = names
        self.fd_capture = fd_capture
        self.interrupter = interrupter
        self.on_end = on_end

    def build(self, host: IPythonHost, session: str | None = None) -> tuple[Scheduler, ExecuteHandler]:
        """A shell's scheduler and execute handler, running cells on ``host``; ``session``: the
        multi-mode client id the shell serves (None: a shell of the whole kernel)."""
        runner = CellRunner(host, self.publisher, self.fd_capture)
        for layer in reversed(self._layers):  # the innermost wraps the host's runner first
            runner = layer(runner, session)
        # A SIGINT handler a main-thread cell installs (pdb's after `c`) lasts until it ends.
        reclaim = self.interrupter.reclaim if self.interrupter is not None else None
        chained = Mode.CONCURRENT not in self.modes
        scheduler = Scheduler(runner, chained=chained, after_cell=reclaim, on_end=self.on_end)
        return scheduler, ExecuteHandler(host, scheduler, self.publisher)

    def build_isolated(
        self, host: IPythonHost, session: str | None = None
    ) -> tuple[Scheduler, ExecuteHandler]:
        """The same, for a host with a namespace of its own (an isolated subshell, a multi-mode
        session), with the kernel's names in that namespace."""
        scheduler, execute = self.build(host, session)
        if host.namespace is not None:
            host.namespace.push(self.kernel_names(scheduler))
        return scheduler, execute

    def parts(self, scheduler: Scheduler, start: Starter) -> list[ShellPart]:
        """The features' parts of a shell serving with ``scheduler`` (the main shell, a
        multi-mode session); ``start`` starts a task of that shell."""
        return [part(scheduler, start) for part in self._parts]

    def kernel_names(self, scheduler: Scheduler) -> dict[str, object]:
        """The names the kernel puts in a shell's namespace (hidden from ``%who``, kept by
        ``%reset``), bound to that shell's ``scheduler``: the features' (the chain switch kept from
        akernel, ``run_on``, ...)."""
        return dict(self._names(scheduler))
