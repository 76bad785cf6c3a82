"""The composition root: every part of a kernel, built in order from explicit arguments.

:func:`build_kernel` is the one place a kernel is put together, read top to bottom: the
publisher around the given :class:`~braid_kernel.transport.outbox.Outbox`, the IPython shell,
comms, stdin, the shells' engines, multi mode's sessions, the shells, subshells, the features'
magics, the handler tables.  It returns a :class:`KernelParts`, a frozen record: nothing in it
is assigned later, and no part is handed the whole.  It knows nothing of sockets or of who
drains the outbox: :class:`~braid_kernel.app.kernel.Kernel` (a ZeroMQ process) and
:class:`~braid_kernel.app.inprocess.kernel.InProcessKernel` (the host's event loop) each hold a
``KernelParts`` and add their transport.  How the kernel ends is given in
(:class:`~braid_kernel.app.shutdown.Shutdown`, built first by its holder).
"""

from __future__ import annotations

import functools
import logging
import os
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

from traitlets.config import Config

from braid_kernel.app import handlers
from braid_kernel.app.config import KernelConfig, SubshellNamespace
from braid_kernel.app.engines import Engines
from braid_kernel.app.shells import ShellFactory
from braid_kernel.app.shutdown import Shutdown
from braid_kernel.engine.cellfiles import CellFiles
from braid_kernel.engine.fdcapture import FdCapture
from braid_kernel.engine.interrupt import Interrupter
from braid_kernel.engine.modes import Mode
from braid_kernel.engine.stdin import CellInput, InputSource
from braid_kernel.engine.streams import OutStream
from braid_kernel.engine.threadinterrupt import ThreadInterrupts
from braid_kernel.features import base
from braid_kernel.features.cache import feature as cache_feature
from braid_kernel.features.cache.engine import CellCache
from braid_kernel.features.concurrent import feature as concurrent_feature
from braid_kernel.features.debugger import feature as debugger_feature
from braid_kernel.features.debugger.engine import untraced
from braid_kernel.features.distributed import feature as distributed_feature
from braid_kernel.features.distributed.engine import DistributedWork
from braid_kernel.features.foreign import feature as foreign_feature
from braid_kernel.features.foreign.engine import ForeignLoops
from braid_kernel.features.gui import feature as gui_feature
from braid_kernel.features.multi import feature as multi_feature
from braid_kernel.features.react import feature as react_feature
from braid_kernel.features.subshells import feature as subshells_feature
from braid_kernel.features.subshells.shell import Subshells
from braid_kernel.integrations.comms import CommScope, CommService
from braid_kernel.process_hooks import Preserved, ProcessHooks, kernel_hooks
from braid_kernel.routing.dispatch import Handler, SyncDispatcher
from braid_kernel.routing.publisher import Publisher
from braid_kernel.routing.router import Router, ShellRegistry, Target
from braid_kernel.routing.stdin import StdinBroker
from braid_kernel.routing.subshells import SubshellManager
from braid_kernel.shell.debugging import KernelPdb, set_trace
from braid_kernel.shell.facade import KernelFacade
from braid_kernel.shell.ipshell import ZMQInteractiveShell
from braid_kernel.shell.kernel_info import kernel_info_content
from braid_kernel.shell.kernel_magics import register_kernel_magics
from braid_kernel.shell.profile import launcher_config, load_profile_config, run_startup
from braid_kernel.shell.requests import ShellRequests
from braid_kernel.shell.setup import build_shell
from braid_kernel.shell.stdin_refusal import StdinNotAllowed
from braid_kernel.transport.limits import Backlog
from braid_kernel.transport.outbox import Outbox
from braid_kernel.wire.codec import WireCodec
from braid_kernel.wire.message import JsonDict

if TYPE_CHECKING:
    from braid_kernel.features.multi.engine import SessionTable
    from braid_kernel.features.multi.shell.sessions import Session, SessionManager

log = logging.getLogger("braid_kernel")
CELL_NAME_VARIABLE = "IPYKERNEL_CELL_NAME"  # ipykernel's: one file name for all cells (nbclient's tests)


@dataclass(frozen=True, slots=True)
class KernelParts:
    """A kernel without its transport: what :func:`build_kernel` built, for its holder to serve.

    ``inline_handlers``/``control_handlers``: the tables of the requests that run no user code
    (a holder builds its control thread or inline control from the second); ``startup``: run the
    user's startup files and extensions, once the holder has installed the process hooks;
    ``foreign``: ``run_on``'s loops of the other backend (their threads end in :meth:`release`);
    ``work``: the cells' distributed work (its library hook is one of the process hooks)."""

    config: KernelConfig
    session: str
    outbox: Outbox
    publisher: Publisher
    cell_files: CellFiles
    shell: ZMQInteractiveShell
    cache: CellCache
    comms: CommService
    stdin: StdinBroker
    registry: ShellRegistry
    fd_capture: FdCapture | None
    interrupter: Interrupter | None
    thread_interrupts: ThreadInterrupts
    foreign: ForeignLoops
    work: DistributedWork
    shells: ShellFactory
    subshells: SubshellManager
    shutdown: Shutdown
    kernel_info: JsonDict
    inline_handlers: Mapping[str, Handler]
    control_handlers: Mapping[str, Handler]
    startup: Callable[[], None]

    def router(self, codec: WireCodec, control: Target, backlog: Backlog | None = None) -> Router:
        """The router for frames decoded by ``codec``; control requests go to ``control``; each
        request handed on is admitted to ``backlog`` (a transport's bound on unanswered ones)."""
        return Router(
            codec,
            self.publisher,
            inline=SyncDispatcher(self.publisher, self.inline_handlers),
            control=control,
            shells=self.registry,
            stdin=self.stdin,
            backlog=backlog,
        )

    def release(self) -> None:
        """After the main shell stopped: end what the features keep running (the threads of
        ``run_on``'s loops)."""
        self.foreign.close()

    def process_hooks(
        self,
        stdout: TextIO | None,
        stderr: TextIO | None,
        source: InputSource,
        *,
        fds: tuple[int, int] | None = None,
        switch_interval: float | None = None,
        preserved: Preserved | None = None,
    ) -> ProcessHooks:
        """Every process-wide patch of this kernel (see :mod:`braid_kernel.process_hooks`), for its
        holder to install: ``sys.stdout``/``sys.stderr`` point at the outbox (text written outside
        any request goes to ``stdout``/``stderr``; ``fds`` is what their ``fileno()`` answer),
        ``input``/``getpass`` ask ``source``, the ``comm`` package uses this kernel, threads
        started by cells inherit their context, ``pdb.set_trace()`` and ``breakpoint()`` open
        IPython's debugger, Dask's futures are recorded per cell once the user imports
        ``distributed``; a kernel that handles SIGINT also takes over SIGINT and
        ``time.sleep``.  ``switch_interval``, ``preserved``: see
        :func:`~braid_kernel.process_hooks.kernel_hooks`."""
        out_fd, err_fd = fds if fds is not None else (None, None)
        children = self.fd_capture.child_writes if self.fd_capture is not None else None
        streams = (
            OutStream("stdout", self.outbox, fallback=stdout, fileno=out_fd, children=children),
            OutStream("stderr", self.outbox, fallback=stderr, fileno=err_fd, children=children),
        )
        process = self.interrupter is not None
        return kernel_hooks(
            streams=streams,
            cell_input=CellInput(source, StdinNotAllowed),
            comms=self.comms,
            display_trap=self.shell.display_trap,
            builtin_trap=self.shell.builtin_trap,
            debugger=(KernelPdb, set_trace),
            work=self.work,
            interrupter=self.interrupter,
            thread_interrupts=self.thread_interrupts if process else None,
            switch_interval=switch_interval,
            preserved=preserved,
        )


def build_kernel(
    config: KernelConfig,
    outbox: Outbox,
    *,
    shutdown: Shutdown,
    session: str | None = None,
    profile: bool = False,
    fd_capture: FdCapture | None = None,
    interrupts: bool = False,
    exit_ends_kernel: bool = False,
) -> KernelParts:
    """Build every part of a kernel around ``outbox``, in order.

    ``shutdown``: how the kernel ends (a shutdown_request asks it); ``profile``: honour the
    user's IPython profile (config, extensions, startup files); ``fd_capture``: a kernel
    process's capture of fds 1 and 2 (built, installed by the holder); ``interrupts``: handle
    SIGINT (a kernel process, which installs it with its process hooks);
    ``exit_ends_kernel``: ``exit()`` in a cell ends the kernel (a kernel process, as ipykernel)."""
    session = session or uuid.uuid4().hex
    publisher = Publisher(outbox)
    cell_files = CellFiles(shared_name=os.environ.get(CELL_NAME_VARIABLE) or None)
    user_config = _user_config(config, profile)
    shell = build_shell(publisher, cell_files, user_config)
    cache = cache_feature.kernel_cache(
        config.cache_dir, config.cache_size, enabled=Mode.CACHE in config.modes
    )
    requests = ShellRequests(shell)
    table = _session_table(config)
    comms = CommService(publisher, _session_comms(table))
    stdin = StdinBroker(outbox, session, "braid")
    save_thread = shell.history_manager.save_thread
    if save_thread is not None:  # None with an in-memory history
        untraced(save_thread)  # kernel machinery, not user code
    foreign = ForeignLoops()  # run_on's loops of the other backend, started on first use
    # Interrupted cells' pending Dask futures are cancelled (hooked when the user imports them).
    work = distributed_feature.kernel_work(lambda: shell.user_ns)
    # The features, in order (multi's commands last: they need the sessions, built from the engines).
    early = (
        concurrent_feature.build(),
        react_feature.build(),
        cache_feature.build(cache),
        foreign_feature.build(shell, foreign),
        gui_feature.build(shell, config.loop),
        debugger_feature.build(publisher, cell_files, shell, announced=config.debugger),
    )
    interrupter = Interrupter(cell_files) if interrupts else None
    thread_interrupts = ThreadInterrupts()
    engines = Engines(
        config,
        publisher,
        names=base.names_of(early),
        fd_capture=fd_capture,
        interrupter=interrupter,
        on_end=work.cell_ended,
    )
    sessions = _sessions(
        config,
        table,
        engines,
        shell=shell,
        cell_files=cell_files,
        cache=cache,
        requests=requests,
        comms=comms,
    )
    registry = ShellRegistry()
    shells = ShellFactory(
        config,
        shell=shell,
        cell_files=cell_files,
        publisher=publisher,
        cache=cache,
        requests=requests,
        comms=comms,
        registry=registry,
        engines=engines,
        sessions=sessions,
        interrupter=interrupter,
        exit_kernel=shutdown.request if exit_ends_kernel else None,
        shutdown=shutdown,
    )
    shell.kernel = KernelFacade(
        comms.manager, shell=shell, publisher=publisher, session_id=session, call_on_main=shells.call_on_main
    )
    subshell_shells = Subshells(
        shells,
        shell=shell,
        publisher=publisher,
        thread_interrupts=thread_interrupts,
        isolated=functools.partial(_isolated, config.subshell_namespace),
    )
    subshells = SubshellManager(
        registry, subshell_shells.serve, config.backend.value, cancel=subshell_shells.cancel
    )
    # The features that need the shells, last: multi's commands (its sessions), subshells' requests.
    features = (
        *early,
        multi_feature.build(sessions),
        distributed_feature.build(work),
        subshells_feature.build(subshells, subshell_shells),
    )
    base.merge_into(shell, features)  # their magics, %braid subcommands, input transformers
    register_kernel_magics(shell, config.connection_file, subshells.list)  # ipykernel's
    info = kernel_info_content(base.kernel_info_features_of(features), config.debugger)
    inline = handlers.inline_handlers(
        info,
        publisher=publisher,
        comms=comms,
        requests=requests,
        shells=shells,
        subshells=subshell_shells,
        ending=shutdown,
    )
    control = handlers.control_handlers(inline, base.control_handlers_of(features))
    return KernelParts(
        config=config,
        session=session,
        outbox=outbox,
        publisher=publisher,
        cell_files=cell_files,
        shell=shell,
        cache=cache,
        comms=comms,
        stdin=stdin,
        registry=registry,
        fd_capture=fd_capture,
        interrupter=interrupter,
        thread_interrupts=thread_interrupts,
        foreign=foreign,
        work=work,
        shells=shells,
        subshells=subshells,
        shutdown=shutdown,
        kernel_info=info,
        inline_handlers=inline,
        control_handlers=control,
        startup=_nothing
        if user_config is None or not profile
        else functools.partial(run_startup, shell, user_config),
    )


def _sessions(
    config: KernelConfig,
    table: SessionTable[Session] | None,
    engines: Engines,
    *,
    shell: ZMQInteractiveShell,
    cell_files: CellFiles,
    cache: CellCache,
    requests: ShellRequests,
    comms: CommService,
) -> SessionManager | None:
    """Multi mode's sessions, over ``table`` (None in other modes)."""
    if table is None:
        return None
    from braid_kernel.features.multi.shell.sessions import SessionManager

    return SessionManager(
        table,
        config.session_idle_timeout,
        shell=shell,
        cell_files=cell_files,
        cache=cache,
        requests=requests,
        comms=comms,
        build=engines.build_isolated,
    )


def _user_config(config: KernelConfig, profile: bool) -> Config | None:
    """The IPython configuration: the user's profile (if ``profile``), with the launcher's
    ``--Class.trait=value`` options over it."""
    user_config = load_profile_config() if profile else None
    if config.ipython_options:
        user_config = user_config or Config()
        user_config.merge(launcher_config(config.ipython_options))
    return user_config


def _isolated(default: SubshellNamespace, requested: object) -> bool:
    """Whether a create_subshell_request asking for ``requested`` (``"shared"``, ``"isolated"``, or
    None for the kernel's ``--subshell-namespace``, ``default``) makes an isolated subshell;
    ValueError for anything else."""
    if requested is None:
        return default is SubshellNamespace.ISOLATED
    try:
        return SubshellNamespace(requested) is SubshellNamespace.ISOLATED
    except ValueError:
        options = " or ".join(repr(n.value) for n in SubshellNamespace)
        raise ValueError(f"namespace must be {options}, not {requested!r}") from None


def _session_table(config: KernelConfig) -> SessionTable[Session] | None:
    """Multi mode's table of sessions (built first: the comm scope reads it), or None."""
    if Mode.MULTI not in config.modes:
        return None
    from braid_kernel.features.multi.shell.sessions import (
        new_table,  # imported only for multi mode (startup time)
    )

    return new_table()


def _session_comms(table: SessionTable[Session] | None) -> CommScope | None:
    """Multi mode: comms belong to the session of the code or request (see CommScope)."""
    if table is None:
        return None
    from braid_kernel.features.multi.shell.sessions import SessionComms

    return SessionComms(table)


def _nothing() -> None:
    """No startup files (an in-process kernel, or no profile)."""
