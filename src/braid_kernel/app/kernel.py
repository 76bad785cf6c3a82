"""The composition root: one kernel process, wired together.

Threads (see docs/architecture.md):

* main thread — the anyio event loop; the main shell's cells run here as tasks;
* ``braid-io`` — every ZeroMQ socket; decodes, verifies, routes, sends;
* ``braid-heartbeat`` — echoes pings inside libzmq;
* ``braid-control`` — control requests (interrupt, shutdown, debugger, subshells);
* one thread per subshell, each with its own event loop.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import uuid
from typing import Any

import anyio
import zmq

from braid_kernel.app.config import KernelConfig
from braid_kernel.app.shells import ShellFactory
from braid_kernel.engine.cellfiles import CellFiles
from braid_kernel.engine.modes import Mode
from braid_kernel.engine.stdin import CellInput
from braid_kernel.engine.streams import OutStream
from braid_kernel.engine.threads import propagate_context_to_threads
from braid_kernel.errors import BraidError, ConfigError
from braid_kernel.integrations.comms import CommService
from braid_kernel.integrations.debugger import untraced
from braid_kernel.routing.context import Request
from braid_kernel.routing.control import ControlThread
from braid_kernel.routing.dispatch import Handler, SyncDispatcher
from braid_kernel.routing.publisher import Publisher
from braid_kernel.routing.router import Router, ShellRegistry
from braid_kernel.routing.stdin import StdinBroker
from braid_kernel.routing.subshells import SubshellManager
from braid_kernel.shell.facade import KernelFacade
from braid_kernel.shell.host import IPythonHost
from braid_kernel.shell.kernel_info import kernel_info_content
from braid_kernel.shell.requests import ShellRequests
from braid_kernel.shell.setup import build_shell
from braid_kernel.transport.heartbeat import Heartbeat
from braid_kernel.transport.outbox import Outbox
from braid_kernel.transport.zmq_io import IOThread
from braid_kernel.wire.codec import WireCodec
from braid_kernel.wire.connection import ConnectionInfo
from braid_kernel.wire.message import JsonDict
from braid_kernel.wire.signing import Signer

log = logging.getLogger("braid_kernel")

SHUTDOWN_GRACE = 3.0  # seconds a blocked main thread gets before the process exits anyway


class Kernel:
    """Everything one kernel process runs; :meth:`run` blocks until shutdown."""

    def __init__(self, config: KernelConfig, info: ConnectionInfo) -> None:
        self.config = config
        self.info = info
        self.session = uuid.uuid4().hex
        self.outbox = Outbox()
        self.publisher = Publisher(self.outbox)
        self.cell_files = CellFiles()
        self.shell = build_shell(self.publisher, self.cell_files)
        self.requests = ShellRequests(self.shell)
        self.comms = CommService(self.publisher)
        self.shell.kernel = KernelFacade(self.comms.manager)
        untraced(self.shell.history_manager.save_thread)  # kernel machinery, not user code
        self.stdin = StdinBroker(self.outbox, self.session, "braid")
        self.registry = ShellRegistry()
        self.shells = ShellFactory(self)
        self.subshells = SubshellManager(self.registry, self.shells.serve_subshell, config.backend.value)
        self.debugger: Any = None
        self.kernel_info = kernel_info_content(self.shell.banner, self._features(), config.debugger)
        self.control = ControlThread(SyncDispatcher(self.publisher, self._control_handlers()))
        self._exiting = threading.Event()

    def _features(self) -> list[str]:
        features = ["kernel subshells"]
        if self.config.debugger:
            features.append("debugger")
        return features

    # ------------------------------------------------------------ handlers
    def _kernel_info(self, request: Request) -> JsonDict:
        del request
        return self.kernel_info

    def inline_handlers(self) -> dict[str, Handler]:
        """Shell requests answered on the I/O thread (no user code involved)."""
        return {
            "kernel_info_request": self._kernel_info,
            "comm_info_request": self.comms.comm_info,
            "is_complete_request": self.requests.is_complete,
            "shutdown_request": self._shutdown,
            "interrupt_request": self._interrupt,
        }

    def _control_handlers(self) -> dict[str, Handler]:
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
        del request
        self.shells.interrupt_all()
        return {"status": "ok"}

    def _shutdown(self, request: Request) -> None:
        """Reply (on the request's channel and on IOPub), then stop the kernel."""
        content = {"status": "ok", "restart": bool(request.field("restart", False))}
        self.publisher.iopub("shutdown_reply", content, request)
        self.publisher.reply(request, "shutdown_reply", content)
        self.stop()

    def _create_subshell(self, request: Request) -> JsonDict:
        namespace = request.field("namespace", self.config.subshell_namespace.value)
        sid = self.subshells.create()
        self.shells.set_namespace(sid, str(namespace))
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
        from braid_kernel.integrations.debugger import Debugger

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

    # ------------------------------------------------------------ lifecycle
    def stop(self) -> None:
        """Begin shutdown (any thread): stop the loops; exit even if a cell blocks."""
        if self._exiting.is_set():
            return
        self._exiting.set()
        self.shells.stop_main()
        timer = threading.Timer(SHUTDOWN_GRACE, self._force_exit)
        timer.daemon = True
        timer.start()

    def _force_exit(self) -> None:
        log.warning("main thread still busy %.0fs after shutdown: exiting", SHUTDOWN_GRACE)
        self._io.stop()
        os._exit(0)

    def run(self) -> int:
        ctx: zmq.Context[zmq.Socket[bytes]] = zmq.Context()
        codec = WireCodec(Signer(self.info.key, self.info.signature_scheme), self.session, "braid")
        router = Router(
            codec,
            self.publisher,
            inline=SyncDispatcher(self.publisher, self.inline_handlers()),
            control=self.control,
            shells=self.registry,
            stdin=self.stdin,
        )
        self._io = IOThread(ctx, self.info, codec, self.outbox, router.on_frames)
        heartbeat = Heartbeat(ctx, self.info)
        self._heartbeat = heartbeat
        self._install_io_hooks()
        self.comms.install()
        self.control.start()
        self.shells.install_interrupts()
        try:
            anyio.run(
                self.shells.serve_main,
                backend=self.config.backend.value,
                backend_options=self._backend_options(),
            )
        finally:
            self.subshells.delete_all()
            self.control.stop()
            self._io.stop()
        return 0

    def on_main_shell_ready(self) -> None:
        """Open the sockets once the main shell can take requests: a kernel that
        answers kernel_info runs the next cell at once (no startup race)."""
        self._io.start()
        self._heartbeat.start()
        host = IPythonHost(self.shell, self.cell_files)
        threading.Thread(target=_warm_up, args=(host,), name="braid-warmup", daemon=True).start()

    def _backend_options(self) -> dict[str, Any]:
        if self.config.uvloop:
            return {"use_uvloop": True}
        return {}

    def _install_io_hooks(self) -> None:
        sys.stdout = OutStream("stdout", self.outbox, fallback=sys.__stdout__)
        sys.stderr = OutStream("stderr", self.outbox, fallback=sys.__stderr__)
        CellInput(self.stdin).install()
        propagate_context_to_threads()


def _warm_up(host: IPythonHost) -> None:
    """Prepare in the background what the first traceback and completion need,
    so the first error or interrupt is not 40 ms late."""
    import importlib

    try:
        host.warm_up()
        importlib.import_module("jedi")
    except Exception:
        log.debug("warm-up failed", exc_info=True)


def _check_supported(config: KernelConfig) -> None:
    unsupported = config.modes & ~Mode.CONCURRENT
    if unsupported:
        raise ConfigError(
            f"mode {'-'.join(unsupported.names)} is not available in this version of "
            "braid-kernel: install a kernelspec without it (braid-kernel install)"
        )
    if config.loop is not None:
        raise ConfigError(
            f"--loop {config.loop.value} is not available in this version of braid-kernel: "
            "start without --loop"
        )


def run_kernel(config: KernelConfig) -> int:
    """Start a kernel from ``config`` and serve until shutdown; the exit code."""
    logging.basicConfig(
        level=config.log_level,
        stream=sys.__stderr__,
        format="[braid %(levelname)s %(asctime)s %(name)s] %(message)s",
    )
    try:
        _check_supported(config)
        if config.connection_file is None:
            raise ConfigError("no connection file: start the kernel with -f CONNECTION_FILE")
        info = ConnectionInfo.load(config.connection_file)
        return Kernel(config, info).run()
    except BraidError as exc:
        print(f"braid-kernel: {exc}", file=sys.__stderr__)
        return 2
