"""The kernel without its transport: what a ZeroMQ process and an in-process kernel share.

:class:`KernelCore` wires the IPython shell, the publisher, comms, stdin,
the shells (main and subshells) and every request handler around one
:class:`~braid_kernel.transport.outbox.Outbox`.  It knows nothing of sockets
or of who drains the outbox: :class:`~braid_kernel.app.kernel.Kernel` adds
the ZeroMQ threads and the process-wide hooks of a kernel process, and
:class:`~braid_kernel.app.inprocess.kernel.InProcessKernel` adds an in-memory
transport driven by the host's event loop.  Each gives
:meth:`ShellFactory.serve_main <braid_kernel.app.shells.ShellFactory.serve_main>` what to do
once the main shell takes requests (open its transport); a kernel process extends
:meth:`KernelCore.stop`.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from traitlets.config import Config

from braid_kernel.app.config import KernelConfig
from braid_kernel.app.engines import Engines
from braid_kernel.app.shells import ShellFactory
from braid_kernel.app.support import supported_features
from braid_kernel.engine.cellfiles import CellFiles
from braid_kernel.engine.fdcapture import FdCapture
from braid_kernel.engine.interrupt import Interrupter
from braid_kernel.engine.modes import Mode
from braid_kernel.engine.stdin import CellInput, InputSource
from braid_kernel.engine.streams import OutStream
from braid_kernel.engine.threads import propagate_context_to_threads
from braid_kernel.features.cache.engine import CacheStore, CellCache, cache_root, secret_file, store_directory
from braid_kernel.features.cache.shell import install_cache_commands
from braid_kernel.features.concurrent.shell import register_scheduler_commands
from braid_kernel.features.debugger.engine import untraced
from braid_kernel.features.distributed.engine import DistributedWork
from braid_kernel.features.distributed.engine.dask_futures import DaskFutures
from braid_kernel.features.distributed.shell import register_work_commands
from braid_kernel.features.foreign.engine import ForeignLoops
from braid_kernel.features.foreign.shell import register_foreign_magics
from braid_kernel.features.gui.shell import register_gui
from braid_kernel.features.multi.shell.commands import register_session_commands
from braid_kernel.features.react.shell.commands import register_react_commands
from braid_kernel.integrations.comms import CommScope, CommService
from braid_kernel.integrations.detection import install_jupyter_detection
from braid_kernel.routing.context import Request
from braid_kernel.routing.dispatch import Handler, SyncDispatcher
from braid_kernel.routing.publisher import Publisher
from braid_kernel.routing.router import Router, ShellRegistry, Target
from braid_kernel.routing.stdin import StdinBroker
from braid_kernel.routing.subshells import SubshellManager
from braid_kernel.shell.debugging import use_ipython_debugger
from braid_kernel.shell.facade import KernelFacade
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


class KernelCore:
    """The shell, the handlers and the routing targets of one kernel, around ``outbox``."""

    exit_ends_kernel = False  # whether exit()/quit() in a cell stop the kernel (a kernel process)

    def __init__(
        self,
        config: KernelConfig,
        outbox: Outbox,
        *,
        session: str | None = None,
        kernel_info: JsonDict | None = None,
        profile: bool = False,
        fd_capture: FdCapture | None = None,
        interrupts: bool = False,
    ) -> None:
        """``profile``: honour the user's IPython profile (config, extensions, startup files);
        ``fd_capture``: a kernel process's capture of fds 1 and 2 (built, installed later by
        :meth:`install_io_hooks`'s caller); ``interrupts``: handle SIGINT (a kernel process,
        which installs it with ``shells.install_interrupts``)."""
        self.config = config
        self.session = session or uuid.uuid4().hex
        self.outbox = outbox
        self.publisher = Publisher(self.outbox)
        self.cell_files = CellFiles(shared_name=os.environ.get(CELL_NAME_VARIABLE) or None)
        user_config = _user_config(config, profile)
        self.shell = build_shell(self.publisher, self.cell_files, user_config)
        self.cache = CellCache(
            functools.partial(_open_cache_store, config),
            enabled=Mode.CACHE in config.modes,
            record_output=_record_output,
        )
        self.requests = ShellRequests(self.shell)
        table = _session_table(config)
        self.comms = CommService(self.publisher, _session_comms(table))
        save_thread = self.shell.history_manager.save_thread
        if save_thread is not None:  # None with an in-memory history
            untraced(save_thread)  # kernel machinery, not user code
        self.stdin = StdinBroker(self.outbox, self.session, "braid")
        self.registry = ShellRegistry()
        self.fd_capture = fd_capture
        self.foreign = ForeignLoops()  # run_on's loops of the other backend, started on first use
        # Interrupted cells' pending Dask futures are cancelled (hooked when the user imports them).
        self.work = DistributedWork(lambda: self.shell.user_ns, [DaskFutures()])
        self.shells = self._shell_factory(table, fd_capture, interrupts)
        self.shell.kernel = KernelFacade(
            self.comms.manager,
            shell=self.shell,
            publisher=self.publisher,
            session_id=self.session,
            call_on_main=self.shells.call_on_main,
        )
        self.subshells = SubshellManager(
            self.registry,
            self.shells.serve_subshell,
            config.backend.value,
            cancel=self.shells.cancel_subshell,
        )
        self._register_magics()
        self.debugger: Any = None
        self.kernel_info = kernel_info or kernel_info_content(supported_features(config), config.debugger)
        if profile and user_config is not None:
            run_startup(self.shell, user_config)

    def _register_magics(self) -> None:
        """Every magic and ``%braid`` subcommand the kernel adds to IPython's, in one place:
        the features' and ipykernel's."""
        shell = self.shell
        if shell.braid is not None:  # the %braid magic, made by build_shell
            register_scheduler_commands(shell.braid)
            register_react_commands(shell.braid)
            register_session_commands(shell.braid, self.shells.sessions)
            register_work_commands(shell.braid, self.work)
        install_cache_commands(shell, self.cache)
        register_foreign_magics(shell, self.foreign)
        register_gui(shell, self.config.loop)
        register_kernel_magics(shell, self.config.connection_file, self.subshells.list)

    def _shell_factory(
        self, table: SessionTable[Session] | None, fd_capture: FdCapture | None, interrupts: bool
    ) -> ShellFactory:
        """The shells' factory, with what it builds engines and sessions from."""
        interrupter = Interrupter(self.cell_files) if interrupts else None
        engines = Engines(
            self.config,
            self.publisher,
            fd_capture=fd_capture,
            interrupter=interrupter,
            foreign=self.foreign,
            on_end=self.work.cell_ended,
        )
        return ShellFactory(
            self.config,
            shell=self.shell,
            cell_files=self.cell_files,
            publisher=self.publisher,
            cache=self.cache,
            requests=self.requests,
            comms=self.comms,
            registry=self.registry,
            engines=engines,
            sessions=self._sessions(table, engines),
            interrupter=interrupter,
            exit_kernel=self.stop if self.exit_ends_kernel else None,
        )

    def _sessions(self, table: SessionTable[Session] | None, engines: Engines) -> SessionManager | None:
        """Multi mode's sessions, over ``table`` (None in other modes)."""
        if table is None:
            return None
        from braid_kernel.features.multi.shell.sessions import SessionManager

        return SessionManager(
            table,
            self.config.session_idle_timeout,
            shell=self.shell,
            cell_files=self.cell_files,
            cache=self.cache,
            requests=self.requests,
            comms=self.comms,
            build=engines.build_isolated,
        )

    # ------------------------------------------------------------ lifecycle
    def stop(self) -> None:
        """Begin shutdown (any thread): stop serving the main shell."""
        self.shells.stop_main()

    def release(self) -> None:
        """After the main shell stopped: end what the features keep running (the foreign
        loops' threads) and undo their library hooks."""
        self.foreign.close()
        self.work.close()

    def router(self, codec: WireCodec, control: Target, backlog: Backlog | None = None) -> Router:
        """The router for frames decoded by ``codec``; control requests go to ``control``; each
        request handed on is admitted to ``backlog`` (a transport's bound on unanswered ones)."""
        return Router(
            codec,
            self.publisher,
            inline=SyncDispatcher(self.publisher, self.inline_handlers()),
            control=control,
            shells=self.registry,
            stdin=self.stdin,
            backlog=backlog,
        )

    def install_io_hooks(
        self,
        stdout: TextIO | None,
        stderr: TextIO | None,
        source: InputSource,
        fds: tuple[int, int] | None = None,
    ) -> None:
        """Point ``sys.stdout``/``sys.stderr``, ``input``/``getpass`` and the ``comm``
        package at this kernel (process-wide); text written outside any request
        goes to ``stdout``/``stderr``; ``fds`` is what the streams' ``fileno()``
        answer (None: they have none).  Threads started by cells inherit their context;
        ``pdb.set_trace()`` and ``breakpoint()`` open IPython's debugger."""
        out_fd, err_fd = fds if fds is not None else (None, None)
        children = self.fd_capture.child_writes if self.fd_capture is not None else None
        sys.stdout = OutStream("stdout", self.outbox, fallback=stdout, fileno=out_fd, children=children)
        sys.stderr = OutStream("stderr", self.outbox, fallback=stderr, fileno=err_fd, children=children)
        CellInput(source, StdinNotAllowed).install()
        propagate_context_to_threads()
        self.comms.install()
        install_jupyter_detection()  # tqdm.auto: widget progress bars
        self.work.install()  # Dask's Future, once the user imports distributed
        use_ipython_debugger()  # pdb.set_trace(), breakpoint()

    # ------------------------------------------------------------ handlers
    def _kernel_info(self, request: Request) -> JsonDict:
        del request
        return self.kernel_info

    def inline_handlers(self) -> dict[str, Handler]:
        """Shell requests answered where they are received (no user code involved)."""
        return {
            "kernel_info_request": self._kernel_info,
            "comm_info_request": self.comms.comm_info,
            "is_complete_request": self.requests.is_complete,
            "shutdown_request": self._shutdown,
            "interrupt_request": self._interrupt,
        }

    def control_handlers(self) -> dict[str, Handler]:
        """Control-channel requests."""
        return {
            "kernel_info_request": self._kernel_info,
            "shutdown_request": self._shutdown,
            "interrupt_request": self._interrupt,
            "create_subshell_request": self._create_subshell,
            "delete_subshell_request": self._delete_subshell,
            "list_subshell_request": self._list_subshells,
            "debug_request": self._debug,
            "comm_info_request": self.comms.comm_info,
            "is_complete_request": self.requests.is_complete,
        }

    def _interrupt(self, request: Request) -> JsonDict:
        self.shells.interrupt(request)  # in multi mode: the sender's session only
        return {"status": "ok"}

    def _shutdown(self, request: Request) -> None:
        """Reply (on the request's channel and on IOPub), then stop the kernel."""
        content = {"status": "ok", "restart": bool(request.field("restart", False))}
        self.publisher.iopub("shutdown_reply", content, request)
        self.publisher.reply(request, "shutdown_reply", content)
        self.stop()

    def _create_subshell(self, request: Request) -> JsonDict:
        sid = self.subshells.create(self.shells.subshell_server(request.field("namespace")))
        return {"status": "ok", "subshell_id": sid}

    def _delete_subshell(self, request: Request) -> JsonDict:
        sid = str(request.field("subshell_id", ""))
        self.subshells.delete(sid)
        return {"status": "ok"}

    def _list_subshells(self, request: Request) -> JsonDict:
        del request
        return {"status": "ok", "subshell_id": self.subshells.list()}

    def _debug(self, request: Request) -> JsonDict:
        if self.debugger is None:
            self.debugger = self._make_debugger()
        reply: JsonDict = self.debugger.handle(dict(request.content))
        return reply

    def _make_debugger(self) -> Any:
        from braid_kernel.features.debugger.engine import Debugger

        def send_event(event: JsonDict) -> None:
            self.publisher.iopub("debug_event", event, request=None)

        def rich_repr(obj: Any) -> tuple[JsonDict, JsonDict]:
            data, metadata = self.shell.display_formatter.format(obj)
            return data, metadata

        return Debugger(
            send_event=send_event,
            cell_files=self.cell_files,
            user_namespace=lambda: self.shell.user_ns,
            rich_repr=rich_repr,
        )


def _user_config(config: KernelConfig, profile: bool) -> Config | None:
    """The IPython configuration: the user's profile (if ``profile``), with the launcher's
    ``--Class.trait=value`` options over it."""
    user_config = load_profile_config() if profile else None
    if config.ipython_options:
        user_config = user_config or Config()
        user_config.merge(launcher_config(config.ipython_options))
    return user_config


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


def _open_cache_store(config: KernelConfig) -> CacheStore:
    """Cache mode's store for this kernel: per notebook (or working directory) under the root."""
    root = cache_root(config.cache_dir, os.environ)
    directory = store_directory(root, os.environ, Path.cwd())
    return CacheStore(directory, config.cache_size, secret_file(os.environ))


def _record_output(enabled: bool) -> None:
    """Cache mode: make the cell output streams copy text into cell recordings (or stop)."""
    for stream in (sys.stdout, sys.stderr):
        owner = getattr(getattr(stream, "record", None), "__self__", None)  # also through proxies
        if isinstance(owner, OutStream):
            owner.record(enabled)
