"""The composition root: every part of a kernel, built in order from explicit arguments.

:func:`build_kernel` is the one place a kernel is put together, read top to bottom: the
publisher around the given :class:`~braid_kernel.transport.outbox.Outbox`, the comms, the
IPython shell, the features (one line each: a mode is its folder under ``features/`` and its
line here), the engines and shells built from what the features give
(:mod:`braid_kernel.features.base`), the handler tables.  It returns a :class:`KernelParts`, a
frozen record: nothing in it is assigned later, and no part is handed the whole.  It knows
nothing of sockets or of who drains the outbox: :class:`~braid_kernel.app.kernel.Kernel` (a
ZeroMQ process) and :class:`~braid_kernel.app.inprocess.kernel.InProcessKernel` (the host's
event loop) each hold a ``KernelParts`` and add their transport.  How the kernel ends is given
in (:class:`~braid_kernel.app.shutdown.Shutdown`, built first by its holder).

Two parts need each other, and the order resolves it without a late assignment:

* ``get_ipython().kernel`` (the :class:`~braid_kernel.shell.facade.KernelFacade`) needs the
  shell and the main shell's loop (``kernel.io_loop.add_callback``), and the shell factory
  needs the shell.  So the loop is a small :class:`~braid_kernel.app.shells.MainLoop` built
  first (the factory tells it when the main shell serves), and :func:`build_shell` is given how
  to make the facade from the shell it creates: the shell is complete when it returns.
* multi mode scopes the comms to its sessions and builds its sessions from the engines, which
  the comms come before.  So the multi feature is built before the comms (its comm scope), and
  its session router is made later from a :class:`~braid_kernel.features.base.SessionKit`.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TextIO

from traitlets.config import Config

from braid_kernel.app import handlers
from braid_kernel.app.config import KernelConfig
from braid_kernel.app.engines import Engines
from braid_kernel.app.shells import MainLoop, ShellFactory
from braid_kernel.app.shutdown import Shutdown
from braid_kernel.engine.cellfiles import CellFiles
from braid_kernel.engine.fdcapture import FdCapture
from braid_kernel.engine.interrupt import Interrupter
from braid_kernel.engine.modes import Mode
from braid_kernel.engine.stdin import CellInput, InputSource
from braid_kernel.engine.streams import OutStream
from braid_kernel.engine.threadinterrupt import ThreadInterrupts
from braid_kernel.features import base
from braid_kernel.features.base import Feature, MainLoopHost, ProcessPatch
from braid_kernel.features.cache import feature as cache_feature
from braid_kernel.features.concurrent import feature as concurrent_feature
from braid_kernel.features.debugger import feature as debugger_feature
from braid_kernel.features.distributed import feature as distributed_feature
from braid_kernel.features.foreign import feature as foreign_feature
from braid_kernel.features.gui import feature as gui_feature
from braid_kernel.features.multi import feature as multi_feature
from braid_kernel.features.react import feature as react_feature
from braid_kernel.features.subshells import feature as subshells_feature
from braid_kernel.integrations.comms import CommService
from braid_kernel.process_hooks import CapturedFds, Preserved, ProcessHooks, kernel_hooks
from braid_kernel.routing.dispatch import Handler, SyncDispatcher
from braid_kernel.routing.publisher import Publisher
from braid_kernel.routing.router import Router, ShellRegistry, Target
from braid_kernel.routing.stdin import StdinBroker
from braid_kernel.shell.debugging import kernel_pdb, set_trace
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

log = logging.getLogger("braid_kernel")
CELL_NAME_VARIABLE = "IPYKERNEL_CELL_NAME"  # ipykernel's: one file name for all cells (nbclient's tests)


@dataclass(frozen=True, slots=True)
class KernelParts:
    """A kernel without its transport: what :func:`build_kernel` built, for its holder to serve.

    ``inline_handlers``/``control_handlers``: the tables of the requests that run no user code
    (a holder builds its control thread or inline control from the second); ``startup``: run the
    user's startup files and extensions, once the holder has installed the process hooks;
    ``patches``: the features' process-wide changes (installed with the process hooks);
    ``release``: after the main shell stopped, end what the features keep running (the
    subshells' threads, ``run_on``'s loops); ``own_thread``: mark a thread of the kernel's
    machinery as such (the debugger neither lists nor suspends it); ``main_loop``: what hosts the
    main shell's loop (the GUI loop's host, or None: the backend's own)."""

    config: KernelConfig
    session: str
    outbox: Outbox
    publisher: Publisher
    cell_files: CellFiles
    shell: ZMQInteractiveShell
    comms: CommService
    stdin: StdinBroker
    registry: ShellRegistry
    fd_capture: FdCapture | None
    interrupter: Interrupter | None
    thread_interrupts: ThreadInterrupts
    patches: Sequence[ProcessPatch]
    shells: ShellFactory
    shutdown: Shutdown
    kernel_info: JsonDict
    inline_handlers: Mapping[str, Handler]
    control_handlers: Mapping[str, Handler]
    startup: Callable[[], None]
    release: Callable[[], None]
    own_thread: Callable[[threading.Thread], None]
    main_loop: MainLoopHost | None

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
        any request goes to ``stdout``/``stderr``, or, with a capture of fds 1 and 2, which these
        hooks install first, to their originals; ``fds`` is what their ``fileno()`` answer),
        ``input``/``getpass`` ask ``source``, the ``comm`` package uses this kernel, threads
        started by cells inherit their context, ``pdb.set_trace()`` and ``breakpoint()`` open
        IPython's debugger, Dask's futures are recorded per cell once the user imports
        ``distributed``; a kernel that handles SIGINT also takes over SIGINT and
        ``time.sleep``.  ``switch_interval``, ``preserved``: see
        :func:`~braid_kernel.process_hooks.kernel_hooks`."""
        out_fd, err_fd = fds if fds is not None else (None, None)
        children, captured = None, None
        if self.fd_capture is not None:
            children = self.fd_capture.child_writes
            stdout, stderr = self.fd_capture.originals()
            captured = CapturedFds(self.fd_capture, stderr, self.own_thread)
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
            debugger=(kernel_pdb, set_trace),
            patches=self.patches,
            interrupter=self.interrupter,
            thread_interrupts=self.thread_interrupts if process else None,
            switch_interval=switch_interval,
            preserved=preserved,
            captured_fds=captured,
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
    # Built before the comms: multi mode's sessions own them (its comm scope).
    scoping = (
        multi_feature.build(multi=Mode.MULTI in config.modes, idle_timeout=config.session_idle_timeout),
    )
    comms = CommService(publisher, base.comm_scope_of(scoping))
    main = MainLoop()  # kernel.io_loop: the main shell's loop, once it serves
    user_config = _user_config(config, profile)
    facade = functools.partial(_facade, comms, publisher, session, main)
    shell = build_shell(publisher, cell_files, user_config, kernel=facade)
    core = _Core(
        session, outbox, publisher, cell_files, comms, main, shell, ShellRequests(shell), ShellRegistry()
    )
    # The features, in order (the first runner layer is the outermost: react's wraps cache's).
    early = (
        concurrent_feature.build(),
        react_feature.build(enabled=Mode.REACT in config.modes, lazy=config.react_lazy),
        cache_feature.build(config.cache_dir, config.cache_size, enabled=Mode.CACHE in config.modes),
        foreign_feature.build(shell),
        gui_feature.build(shell, config.loop, config.backend),
        debugger_feature.build(publisher, cell_files, shell, announced=config.debugger),
        *scoping,
        distributed_feature.build(lambda: shell.user_ns),  # interrupted cells' Dask futures
    )
    interrupter = Interrupter(cell_files) if interrupts else None
    exit_kernel = shutdown.request if exit_ends_kernel else None
    shells = _shells(config, core, early, fd_capture, interrupter, exit_kernel=exit_kernel, shutdown=shutdown)
    thread_interrupts = ThreadInterrupts()
    features = (  # the subshells need the shells: last
        *early,
        subshells_feature.build(
            shells, core.registry, shell, publisher, thread_interrupts=thread_interrupts, options=config
        ),
    )
    startup = (
        _nothing if user_config is None or not profile else functools.partial(run_startup, shell, user_config)
    )
    return _assemble(
        config,
        core,
        features,
        shells,
        shutdown=shutdown,
        fd_capture=fd_capture,
        interrupter=interrupter,
        thread_interrupts=thread_interrupts,
        startup=startup,
    )


@dataclass(frozen=True, slots=True)
class _Core:
    """The parts built before the features, which features and shells are built from."""

    session: str
    outbox: Outbox
    publisher: Publisher
    cell_files: CellFiles
    comms: CommService
    main: MainLoop
    shell: ZMQInteractiveShell
    requests: ShellRequests
    registry: ShellRegistry


def _shells(
    config: KernelConfig,
    core: _Core,
    features: Sequence[Feature],
    fd_capture: FdCapture | None,
    interrupter: Interrupter | None,
    *,
    exit_kernel: Callable[[], None] | None,
    shutdown: Shutdown,
) -> ShellFactory:
    """The shells, with every shell's engine recipe from what the features add to it (and, in
    multi mode, the multi feature's session router)."""
    engines = Engines(
        config,
        core.publisher,
        layers=base.runner_layers_of(features),
        parts=base.shell_parts_of(features),
        names=base.names_of(features),
        fd_capture=fd_capture,
        interrupter=interrupter,
        on_end=base.cell_ended_of(features),
    )
    kit = base.SessionKit(core.shell, core.cell_files, core.requests, core.comms, engines)
    return ShellFactory(
        config,
        shell=core.shell,
        cell_files=core.cell_files,
        publisher=core.publisher,
        requests=core.requests,
        comms=core.comms,
        registry=core.registry,
        engines=engines,
        main=core.main,
        sessions=base.sessions_of(features, kit),
        interrupter=interrupter,
        exit_kernel=exit_kernel,
        shutdown=shutdown,
    )


def _assemble(
    config: KernelConfig,
    core: _Core,
    features: Sequence[Feature],
    shells: ShellFactory,
    *,
    shutdown: Shutdown,
    fd_capture: FdCapture | None,
    interrupter: Interrupter | None,
    thread_interrupts: ThreadInterrupts,
    startup: Callable[[], None],
) -> KernelParts:
    """The features' magics registered, the handler tables, and the record of it all."""
    base.merge_into(core.shell, features)  # their magics, %braid subcommands, input transformers
    register_kernel_magics(core.shell, config.connection_file, core.registry.subshells)  # ipykernel's
    info = kernel_info_content(base.kernel_info_features_of(features), config.debugger)
    inline = handlers.inline_handlers(
        info,
        publisher=core.publisher,
        comms=core.comms,
        requests=core.requests,
        shells=shells,
        interrupt_others=base.interrupt_of(features),
        ending=shutdown,
    )
    return KernelParts(
        config=config,
        session=core.session,
        outbox=core.outbox,
        publisher=core.publisher,
        cell_files=core.cell_files,
        shell=core.shell,
        comms=core.comms,
        stdin=StdinBroker(core.outbox, core.session, "braid"),
        registry=core.registry,
        fd_capture=fd_capture,
        interrupter=interrupter,
        thread_interrupts=thread_interrupts,
        patches=base.patches_of(features),
        shells=shells,
        shutdown=shutdown,
        kernel_info=info,
        inline_handlers=inline,
        control_handlers=handlers.control_handlers(inline, base.control_handlers_of(features)),
        startup=startup,
        release=base.close_of(reversed(features)),  # the subshells first
        own_thread=base.own_thread_of(features),
        main_loop=base.main_loop_of(features),
    )


def _facade(
    comms: CommService, publisher: Publisher, session: str, main: MainLoop, shell: ZMQInteractiveShell
) -> KernelFacade:
    """``get_ipython().kernel`` for ``shell`` (made by :func:`build_shell`)."""
    return KernelFacade(
        comms.manager, shell=shell, publisher=publisher, session_id=session, call_on_main=main.call_on_main
    )


def _user_config(config: KernelConfig, profile: bool) -> Config | None:
    """The IPython configuration: the user's profile (if ``profile``), with the launcher's
    ``--Class.trait=value`` options over it."""
    user_config = load_profile_config() if profile else None
    if config.ipython_options:
        user_config = user_config or Config()
        user_config.merge(launcher_config(config.ipython_options))
    return user_config


def _nothing() -> None:
    """No startup files (an in-process kernel, or no profile)."""
