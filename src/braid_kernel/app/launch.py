"""Starting a kernel process: sockets first, then the shell.

``braid-kernel start`` lands here (``braid-kernel launch`` too, through
:mod:`~braid_kernel.app.remote`).  This module imports only what the sockets need
(:mod:`~braid_kernel.app.sockets`: pyzmq, the wire, transport and routing layers): it
binds the five channels and starts the heartbeat and the I/O thread, with a
:class:`~braid_kernel.routing.startup.StartupGate` keeping every request in
order, and only then imports IPython (inside :func:`serve`) and builds the
:class:`~braid_kernel.app.kernel.Kernel`, which opens the gate once its main
shell serves.  The heartbeat answers during the imports; requests, kernel_info
included, are answered once the kernel can run a cell.
"""

from __future__ import annotations

import logging
import sys
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

from braid_kernel.app.collector import StartupCollector
from braid_kernel.app.config import KernelConfig
from braid_kernel.app.sockets import Transport
from braid_kernel.app.support import check_supported
from braid_kernel.errors import BraidError, ConfigError
from braid_kernel.pythons import untested_python
from braid_kernel.wire.connection import ConnectionInfo

if TYPE_CHECKING:
    from braid_kernel.app.kernel import Kernel

log = logging.getLogger("braid_kernel")


def configure_kernel_log(level: str) -> logging.Logger:
    """Send the kernel's own log (the ``braid_kernel`` logger and its children) to the terminal.

    The root logger is left to the user, as in ipykernel: ``logging.warning()`` in a cell, and
    ``logging.lastResort``, write to ``sys.stderr`` at call time (the cell's stream), and a user's
    own ``logging.basicConfig()`` takes effect.  The kernel's log does not propagate to it.
    """
    handler = logging.StreamHandler(sys.__stderr__)
    handler.setFormatter(logging.Formatter("[braid %(levelname)s %(asctime)s %(name)s] %(message)s"))
    log.addHandler(handler)
    log.setLevel(level)
    log.propagate = False
    return log


def prepare_process(config: KernelConfig) -> None:
    """Process-wide settings every kernel process starts with: its log, ``sys.argv`` as cells see
    it; warns on an untested Python.  (The GIL switch interval is one of the kernel's process
    hooks: :meth:`~braid_kernel.app.kernel.Kernel.run`.)"""
    configure_kernel_log(config.log_level)
    # Cells see the launcher's arguments as ipykernel's do (``[program, "-f", CONNECTION_FILE, ...]``):
    # without the ``start`` command, which argparse code in notebooks (``parse_known_args()``)
    # would take for a positional argument.
    if sys.argv[1:2] in (["start"], ["launch"]):
        del sys.argv[1]
    untested = untested_python()
    if untested is not None:
        log.warning("%s", untested)


def serve(
    config: KernelConfig,
    info: ConnectionInfo,
    on_built: Callable[[Kernel], None] | None = None,
    collector: StartupCollector | None = None,
) -> int:
    """Bind ``info``'s sockets (errors raised here), build the kernel and serve until shutdown.

    ``on_built`` is called with the kernel once it is built, before it serves (the remote
    launcher announces the kernel from there); ``collector``, the garbage collector paused by the
    command line, is resumed then too, before the user's code (startup files, extensions, cells)
    runs. The exit code is :meth:`Kernel.run`'s.
    """
    transport = Transport(info, uuid.uuid4().hex)
    transport.start()
    try:
        # The heavy part (IPython, the engine) is imported only now.
        from braid_kernel.app.kernel import Kernel

        kernel = Kernel(config, transport)
        if collector is not None:
            collector.resume()
        if on_built is not None:
            on_built(kernel)
        return kernel.run()
    except BaseException:
        transport.stop()
        raise


def run_kernel(config: KernelConfig, collector: StartupCollector | None = None) -> int:
    """Start a kernel process from ``config`` and serve until shutdown; the exit code.
    ``collector``: see :func:`serve`."""
    prepare_process(config)
    try:
        check_supported(config)
        if config.connection_file is None:
            raise ConfigError("no connection file: start the kernel with -f CONNECTION_FILE")
        info = ConnectionInfo.load(config.connection_file)
        if not info.key:
            log.warning(
                "the connection file's key is empty: messages are not signed, so anyone who can "
                "reach the kernel's ports can run code as this user"
            )
        return serve(config, info, collector=collector)
    except BraidError as exc:
        print(f"braid-kernel: {exc}", file=sys.__stderr__)
        return 2
