"""The kernel in-process: driven from Python on the host's event loop, without ZeroMQ.

:class:`InProcessKernel` holds the same :class:`~braid_kernel.app.root.KernelParts`
a kernel process runs — IPython shell, handlers, scheduler, modes, comms,
display, stdin — with the in-memory transport in place of the ZeroMQ
threads::

    async with InProcessKernel() as kernel:
        client = kernel.client()
        reply = await client.execute("x = await f()")

It runs on the event loop of the task that enters it (asyncio or trio), and
starts no thread: the main shell's cells are tasks on the host's loop, the
outbox is drained by a task on that loop, control requests are answered
inline.  Threads appear only for what needs them, as in a kernel process:
subshells (one thread each), the debugger (debugpy's), and threads the cells
start.  What needs a thread in a kernel process and has none here:

* a cell that blocks the loop (``time.sleep(10)``) blocks the host's loop, so
  nothing else is served meanwhile unless the host calls
  :meth:`Connection.handle_message` from another thread (inline requests —
  kernel_info, comm_info, is_complete, interrupt — are then answered there);
* an interrupt cancels awaiting cells; there is no signal to stop a blocking one.

Entering takes over the process-wide hooks (``sys.stdout``/``sys.stderr``,
``input``, ``sys.displayhook``, IPython's builtins, ``__main__``, the ``comm``
factories) and exiting puts them back (see
:mod:`braid_kernel.process_hooks`); output the host itself
writes meanwhile still reaches the host's streams, because streams route by
the current request (a ContextVar).  IPython allows one shell per process, so
one in-process kernel runs at a time (a second raises
:class:`~braid_kernel.errors.ConfigError`); one after another, each starts with
a fresh namespace and execution count.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import sys
import threading
import uuid
from types import TracebackType
from typing import TYPE_CHECKING

import anyio
import sniffio
from anyio.abc import TaskGroup

from braid_kernel.app.config import KernelConfig
from braid_kernel.app.inprocess.connection import Connection, Send
from braid_kernel.app.inprocess.stdin import InProcessInput, InputHandler
from braid_kernel.app.root import KernelParts, build_kernel
from braid_kernel.app.shutdown import Shutdown
from braid_kernel.app.support import check_supported
from braid_kernel.engine.modes import Backend, Mode, parse_modes
from braid_kernel.errors import BraidError, ConfigError
from braid_kernel.process_hooks import Preserved, ProcessHooks
from braid_kernel.routing.context import Request
from braid_kernel.routing.control import InlineControl
from braid_kernel.routing.dispatch import SyncDispatcher
from braid_kernel.routing.loopbridge import LoopBridge
from braid_kernel.shell.ipshell import CHILD_ENVIRONMENT
from braid_kernel.shell.lease import lease_shell, reattach_inline_figures, release_shell
from braid_kernel.transport.memory import MemoryTransport
from braid_kernel.transport.outbox import Outbox
from braid_kernel.wire.channels import Channel
from braid_kernel.wire.codec import WireCodec
from braid_kernel.wire.msgdict import dict_from_message
from braid_kernel.wire.signing import Signer

if TYPE_CHECKING:
    from braid_kernel.app.inprocess.client import InProcessClient

log = logging.getLogger("braid_kernel")

EXIT_GRACE = 5.0  # seconds the main shell gets to end its cells when the kernel exits
_CHAINED = Mode(0)
_NO_KEY = b""  # nothing to authenticate in-process: messages never leave the process
# Environment variables the kernel's shell sets (matplotlib's backend, what child processes see).
_ENVIRONMENT = ("MPLBACKEND", *CHILD_ENVIRONMENT)


class _Stopped:
    """Where shell requests go once the main shell has stopped: nowhere (the
    router then answers them with a ``KernelStopping`` error)."""

    def submit(self, request: Request) -> bool:
        del request
        return False


class InProcessKernel:
    """A braid kernel in this process, for the lifetime of an ``async with`` block.

    ``modes``: a :class:`~braid_kernel.Mode` flag set or its dash-joined
    names (``"concurrent"``).  ``backend``: the anyio backend the host runs
    (``"asyncio"`` or ``"trio"``); checked against the running loop, which
    is the one used.  ``debugger``: answer ``debug_request`` (debugpy starts
    threads of its own once a frontend initializes it).  ``react_lazy``: with
    react, lazy reactive mode (dependents become stale instead of re-running).
    """

    def __init__(
        self,
        modes: Mode | str = _CHAINED,
        backend: Backend | str | None = None,
        *,
        debugger: bool = False,
        react_lazy: bool = False,
    ) -> None:
        self._modes = parse_modes(modes) if isinstance(modes, str) else modes
        self._react_lazy = react_lazy
        self._backend = Backend(backend) if isinstance(backend, str) else backend
        self._debugger = debugger
        self._ids = itertools.count(1)
        self._connections: dict[bytes, Connection] = {}
        self._stack: contextlib.AsyncExitStack | None = None
        self._preserved: Preserved | None = None
        self._hooks: ProcessHooks | None = None
        self._leased = False  # this kernel created the process's IPython shell
        self._parts: KernelParts | None = None
        self._tg: TaskGroup | None = None
        self._stopped = False

    # ------------------------------------------------------------ public API
    @property
    def parts(self) -> KernelParts:
        """The running kernel's parts (shell, publisher, handlers); inside ``async with`` only."""
        if self._parts is None:
            raise BraidError("the in-process kernel is not running: use it inside `async with`")
        return self._parts

    @property
    def stopped(self) -> bool:
        """True once the main shell stopped (a ``shutdown_request``, or leaving ``async with``)."""
        return self._stopped

    def connect(self, send: Send, *, input_handler: InputHandler | None = None) -> Connection:
        """Attach a frontend that pushes message dicts (the callback form); see :class:`Connection`."""
        if self._parts is None or self._stopped:
            raise BraidError("the in-process kernel is not running: connect inside `async with`")
        identity = f"inprocess-{next(self._ids)}".encode()
        connection = Connection(
            identity,
            send,
            input_handler=input_handler,
            transport=self._transport,
            codec=self._client_codec,
            on_close=self._forget,
        )
        self._connections[identity] = connection
        return connection

    def client(self, *, input_handler: InputHandler | None = None) -> InProcessClient:
        """A client with awaitable requests and an IOPub iterator, like jupyter_client's."""
        from braid_kernel.app.inprocess.client import InProcessClient

        return InProcessClient(self, input_handler=input_handler)

    def stop(self) -> None:
        """Stop the main shell (cancelling its cells); requests after this get error replies."""
        if self._parts is not None:
            self._parts.shutdown.request()

    # ------------------------------------------------------------ lifecycle
    async def __aenter__(self) -> InProcessKernel:
        if self._stack is not None:
            raise BraidError("an InProcessKernel can be entered only once")
        config = KernelConfig(
            modes=self._modes,
            backend=self._host_backend(),
            debugger=self._debugger,
            react_lazy=self._react_lazy,
        )
        check_supported(config)
        self._stack = contextlib.AsyncExitStack()
        self._ready, self._main_done, self._wake = anyio.Event(), anyio.Event(), anyio.Event()
        self._preserved = Preserved(_ENVIRONMENT)  # before the shell exists
        try:
            self._build(config)
            self._tg = await self._stack.enter_async_context(anyio.create_task_group())
            self._tg.start_soon(self._pump)
            self._tg.start_soon(self._serve_main)
            await self._ready.wait()
        except BaseException as exc:
            await self._close(type(exc), exc, exc.__traceback__)
            raise
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        await self._close(exc_type, exc, tb)
        return None

    def _host_backend(self) -> Backend:
        library = sniffio.current_async_library()
        if library not in ("asyncio", "trio"):
            raise ConfigError(f"an in-process kernel runs on asyncio or trio, not on {library}")
        host = Backend(library)
        if self._backend is not None and self._backend is not host:
            raise ConfigError(
                f"backend={self._backend.value!r} but the host's event loop is {host.value}: "
                "enter the kernel from a task of the backend you ask for, or leave backend out"
            )
        return host

    def _build(self, config: KernelConfig) -> None:
        lease_shell()  # ConfigError when the process has a shell already (another kernel's)
        self._leased = True
        bridge = LoopBridge.for_current_loop()
        outbox = Outbox(wakeup=lambda: bridge.call_soon(self._wake_pump))
        self._parts = parts = build_kernel(config, outbox, shutdown=Shutdown())
        reattach_inline_figures(parts.shell)
        codec = WireCodec(Signer(_NO_KEY), parts.session, "braid")
        control = InlineControl(SyncDispatcher(parts.publisher, parts.control_handlers))
        self._transport = MemoryTransport(codec, outbox, parts.router(codec, control).on_frames)
        self._client_codec = WireCodec(Signer(_NO_KEY), uuid.uuid4().hex, "client")
        self._input = InProcessInput(parts.stdin, self._input_handler, parts.session, threading.get_ident())
        # Text written outside any request (the host's own) goes to the host's streams.
        self._hooks = parts.process_hooks(sys.stdout, sys.stderr, self._input, preserved=self._preserved)
        self._hooks.install()
        parts.startup()

    async def _close(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            with anyio.CancelScope(shield=True):
                if self._parts is not None and self._ready.is_set():
                    self._parts.shutdown.request()
                    self._input.release_all()
                    with anyio.move_on_after(EXIT_GRACE):
                        await self._main_done.wait()
                    await self._flush()  # the last replies and statuses
                if self._tg is not None:
                    self._tg.cancel_scope.cancel()
            assert self._stack is not None
            # The body's own exception is not the task group's: it propagates as
            # raised (not wrapped in an ExceptionGroup); only our tasks' errors are.
            del exc_type, exc, tb
            await self._stack.__aexit__(None, None, None)
        finally:
            self._release()

    def _release(self) -> None:
        for connection in list(self._connections.values()):
            connection.close()
        parts, self._parts = self._parts, None
        self._stopped = True
        try:
            if parts is not None:
                parts.release()  # the features' threads (the subshells', run_on's loops)
                release_shell(parts.shell)
                parts.outbox.close()
            elif self._leased:
                with contextlib.suppress(Exception):  # the lease may have failed half-way
                    from braid_kernel.shell.ipshell import ZMQInteractiveShell

                    if ZMQInteractiveShell.initialized():
                        release_shell(ZMQInteractiveShell.instance())
        finally:
            if self._hooks is not None:
                self._hooks.uninstall()  # every process-wide patch, the preserved state last
            elif self._preserved is not None:  # the build failed before the hooks were made
                self._preserved.uninstall()

    # ------------------------------------------------------------ tasks
    async def _serve_main(self) -> None:
        assert self._parts is not None
        parts = self._parts
        try:
            await parts.shells.serve_main(self._ready.set)
        finally:
            self._stopped = True
            parts.registry.add(None, _Stopped())
            self._main_done.set()

    def _wake_pump(self) -> None:
        self._wake.set()

    async def _pump(self) -> None:
        """Send what the kernel posts, as the I/O thread does: woken by the outbox."""
        while True:
            await self._wake.wait()
            self._wake = anyio.Event()
            await self._flush()

    async def _flush(self) -> None:
        for channel, frames in self._transport.drain():
            msg = self._client_codec.decode(frames)
            as_dict = dict_from_message(msg, channel.value)
            if channel is Channel.IOPUB:
                for connection in list(self._connections.values()):
                    await connection.deliver(as_dict)
                continue
            target = self._connections.get(msg.identities[0]) if msg.identities else None
            if target is None:
                log.debug("dropped %s for a closed connection", msg.msg_type)
                continue
            await target.deliver(as_dict)

    # ------------------------------------------------------------ helpers
    def _forget(self, identity: bytes) -> None:
        self._connections.pop(identity, None)

    def _input_handler(self, request: Request) -> InputHandler | None:
        identity = request.msg.identities[0] if request.msg.identities else None
        connection = self._connections.get(identity) if identity is not None else None
        return connection.input_handler if connection is not None else None
