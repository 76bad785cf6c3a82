"""Starting a kernel process: sockets first, then the shell.

``braid-kernel start`` lands here.  This module imports only what the sockets
need (:mod:`~braid_kernel.app.sockets`: pyzmq, the wire, transport and routing layers): it
binds the five channels and starts the heartbeat and the I/O thread, with a
:class:`~braid_kernel.routing.startup.StartupGate` keeping every request in
order, and only then imports IPython (inside :func:`run_kernel`) and builds the
:class:`~braid_kernel.app.kernel.Kernel`, which opens the gate once its main
shell serves.  The heartbeat answers during the imports; requests, kernel_info
included, are answered once the kernel can run a cell.
"""

from __future__ import annotations

import logging
import sys
import uuid

from braid_kernel.app.config import KernelConfig
from braid_kernel.app.sockets import Transport
from braid_kernel.app.support import check_supported
from braid_kernel.errors import BraidError, ConfigError
from braid_kernel.pythons import untested_python
from braid_kernel.wire.connection import ConnectionInfo

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


def run_kernel(config: KernelConfig) -> int:
    """Start a kernel process from ``config`` and serve until shutdown; the exit code."""
    configure_kernel_log(config.log_level)
    # Cells see the launcher's arguments as ipykernel's do (``[program, "-f", CONNECTION_FILE, ...]``):
    # without the ``start`` command, which argparse code in notebooks (``parse_known_args()``)
    # would take for a positional argument.
    if sys.argv[1:2] == ["start"]:
        del sys.argv[1]
    untested = untested_python()
    if untested is not None:
        log.warning("%s", untested)
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
        transport = Transport(info, uuid.uuid4().hex)
        transport.start()
        try:
            # The heavy part (IPython, the engine) is imported only now.
            from braid_kernel.app.kernel import Kernel

            return Kernel(config, transport).run()
        except BaseException:
            transport.stop()
            raise
    except BraidError as exc:
        print(f"braid-kernel: {exc}", file=sys.__stderr__)
        return 2
