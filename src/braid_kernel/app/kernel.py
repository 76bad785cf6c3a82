"""The composition root: one kernel process, wired together.

Threads (see docs/architecture.md):

* main thread — the anyio event loop; the main shell's cells run here as tasks;
* ``braid-io`` — every ZeroMQ socket; decodes, verifies, routes, sends;
* ``braid-heartbeat`` — echoes pings inside libzmq;
* ``braid-control`` — control requests (interrupt, shutdown, debugger, subshells);
* ``braid-parent-watch`` — stops the kernel if the process that launched it dies;
* one thread per subshell, each with its own event loop.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
import threading
import time
from collections.abc import Callable

from braid_kernel.app.config import KernelConfig
from braid_kernel.app.loops import run_main
from braid_kernel.app.parent import ParentWatch
from braid_kernel.app.root import build_kernel
from braid_kernel.app.shutdown import Shutdown
from braid_kernel.app.sockets import Transport
from braid_kernel.engine.cputime import Reading, computed, read
from braid_kernel.engine.fdcapture import FdCapture, RunningCells
from braid_kernel.routing.control import ControlThread
from braid_kernel.routing.dispatch import SyncDispatcher
from braid_kernel.shell.host import IPythonHost
from braid_kernel.shell.setup import use_working_directory
from braid_kernel.transport.zmq_io import IOThread

log = logging.getLogger("braid_kernel")

SHUTDOWN_GRACE = 3.0  # seconds a blocked main thread gets before the process exits anyway
# A cell spinning in pure Python holds the GIL; every time the I/O thread needs it back (to receive,
# route and send a request) it waits for the switch interval.  1 ms instead of Python's 5 ms keeps
# the kernel answering within a few ms; it costs nothing while the other threads sleep (no thread
# asks for the GIL, so none is handed over).
GIL_SWITCH_INTERVAL = 0.001  # seconds
WARM_UP_IDLE = 0.25  # seconds without requests before the background warm-up starts
# Seconds a request (a cell) must keep the kernel busy before the traceback formatter is prepared
# in the background (every kernel, see _prepare_tracebacks): longer than nearly every cell that only
# defines or prints, short enough that an interrupt of a long cell rarely comes first, and that the
# ~80 ms of imports are over before the requests a client sends while the cell runs (widgets,
# completions, a status probe): after 0.25 s they overlapped those of the next 0.1-0.2 s (kbench's
# responsiveness probes, 0.3 s into the cell: worst probe 4-7 ms, against ~2 ms without).
LONG_CELL = 0.1


class Kernel:
    """Everything one kernel process runs, around the :class:`KernelParts` it holds;
    :meth:`run` blocks until shutdown."""

    def __init__(self, config: KernelConfig, transport: Transport) -> None:
        capture = None
        if os.name == "posix" and config.capture_fd:  # fd-level output (C code, os.system) to cells
            capture = FdCapture(transport.outbox, RunningCells(), transport.lifeline.give_up)
        self.shutdown = Shutdown(
            grace=SHUTDOWN_GRACE, force_exit=functools.partial(_exit_process, transport.io)
        )
        self.parts = parts = build_kernel(
            config,
            transport.outbox,
            shutdown=self.shutdown,
            session=transport.session,
            profile=True,
            fd_capture=capture,
            interrupts=True,
            exit_ends_kernel=True,  # exit() ends the process, as ipykernel's does (the frontend restarts it)
        )
        use_working_directory(parts.shell.config)
        self.config = config
        self.transport = transport
        self.control = ControlThread(
            SyncDispatcher(parts.publisher, parts.control_handlers), transport.lifeline.give_up
        )
        self._router = parts.router(transport.codec, self.control, transport.backlog)
        transport.lifeline.connect(self.shutdown.fail)

    def run(self) -> int:
        """Serve until shutdown (the transport already runs: see :mod:`braid_kernel.app.launch`)."""
        parts = self.parts
        hooks = parts.process_hooks(
            sys.__stdout__, sys.__stderr__, parts.stdin, fds=(1, 2), switch_interval=GIL_SWITCH_INTERVAL
        )
        hooks.install()  # with the capture of fds 1 and 2 (fd-level output: C code, os.system)
        parts.startup()  # the user's startup files and extensions, as IPython runs them
        self.control.start()
        self._watch_parent()
        try:
            serve = functools.partial(parts.shells.serve_main, self._on_main_shell_ready)
            run_main(self.config, serve, parts.main_loop)
        finally:
            parts.release()  # the features' threads: the subshells', run_on's loops
            self.control.stop()
            hooks.uninstall()  # every original back; what fds 1 and 2 hold is read out first
            self.transport.stop()
        return self.shutdown.status

    def stop(self) -> None:
        """Begin shutdown (any thread; the remote launcher's ``{"shutdown": 1}``): stop the main
        shell; the process exits after the grace period even if a cell blocks."""
        self.shutdown.request()

    def _on_main_shell_ready(self) -> None:
        """Route requests to the shells once the main shell takes them; what
        arrived during startup is routed first, in order (no startup race)."""
        host = IPythonHost(self.parts.shell, self.parts.cell_files)
        router, publisher = self._router, self.parts.publisher

        def quiet_for() -> float:  # seconds the kernel has been idle
            return 0.0 if publisher.busy else time.monotonic() - router.last_request

        self.parts.shell.history_manager.write_when_quiet(quiet_for)  # batches in quiet moments

        def start(name: str, target: Callable[[], None]) -> None:
            thread = threading.Thread(target=target, name=name, daemon=True)
            self.parts.own_thread(thread)  # kernel machinery: not listed by the debugger
            thread.start()

        main = threading.main_thread().ident
        assert main is not None

        def on_long_request(since: Reading | None) -> None:  # on the I/O thread: quick
            if computed(main, since):  # the imports would slow the cell and every request meanwhile
                watch_long_requests()  # the next long cell may wait instead (sleep, I/O, a lock)
            else:
                start("braid-warmup-tracebacks", lambda: _prepare_tracebacks(host))

        def watch_long_requests() -> None:
            self.transport.io.when_busy_for(LONG_CELL, on_long_request, mark=lambda: read(main))

        # A batch kernel (no interactive frontend) has neither thread unless a cell of it runs long.
        router.when_interactive(lambda: start("braid-warmup", lambda: _warm_up(host, quiet_for)))
        watch_long_requests()
        self.transport.gate.open(self._router)

    def _watch_parent(self) -> None:
        """Stop when the process that launched the kernel dies (``JPY_PARENT_PID``)."""
        watch = ParentWatch.from_environment(os.environ, self.shutdown.request)
        if watch is not None:
            self.parts.own_thread(watch.thread)  # kernel machinery: not listed by the debugger
            watch.start()


def _exit_process(io: IOThread, status: int) -> None:
    """The last resort of a shutdown whose main thread stays blocked."""
    io.stop()
    os._exit(status)


def _prepare_tracebacks(host: IPythonHost) -> None:
    """A request has kept the kernel busy for :data:`LONG_CELL` while the main thread waits (a
    cell in ``time.sleep``, I/O, a lock): a long cell, which may well end in an error or an
    interrupt.  Its traceback would be the process's first (~60 ms of imports and caches:
    stack_data, pygments' Python lexer, ``inspect.getmodule``'s cache), so one is formatted in the
    background meanwhile: an interrupted ``time.sleep`` is answered in ~12 ms rather than ~70.  It
    costs ~2 MB once.  Not when the main thread computed for a quarter of that time (its CPU clock,
    read when the request began and now): the imports would take the GIL from the cell and from
    every request meanwhile (kbench's responsiveness[busy] maxima doubled)."""
    try:
        host.warm_up()
    except Exception:
        log.debug("preparing tracebacks failed", exc_info=True)


def _warm_up(host: IPythonHost, quiet_for: Callable[[], float]) -> None:
    """Prepare in the background what a person's first traceback and completion need, so
    the first error or interrupt is not 40 ms late, nor the first completion ~100 ms.

    Its thread starts once a frontend a person types in has sent a request (see
    :attr:`Router.interactive`): a kernel that runs a notebook in batch (nbclient, papermill)
    never completes and has no one waiting on its first error, and keeps the memory (~2.5 MB for
    the traceback formatter's modules, ~5 MB for jedi).  It waits until the kernel has been
    idle (no request in flight, none arrived) for :data:`WARM_UP_IDLE`: its imports hold the GIL
    for ~100 ms, and requests sent meanwhile would each wait for it at every hand-over between
    threads (5-8 ms instead of 1 ms per cell), as would a long cell."""
    import importlib

    while (quiet := quiet_for()) < WARM_UP_IDLE:
        time.sleep(max(WARM_UP_IDLE - quiet, 0.05))
    # jedi first: formatting the traceback then puts every module loaded by now in the cache of
    # inspect.getmodule, which the first real error would otherwise fill (a realpath per module).
    try:
        importlib.import_module("jedi")
    except Exception:
        log.debug("importing jedi failed", exc_info=True)
    _prepare_tracebacks(host)
