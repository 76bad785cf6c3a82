"""The ZeroMQ side of a kernel process: bound and serving before the kernel is built.

:class:`Transport` owns the sockets (through the I/O thread), the heartbeat and the
:class:`~braid_kernel.routing.startup.StartupGate` that keeps requests arriving during startup
in order.  :func:`~braid_kernel.app.launch.run_kernel` starts it before importing IPython;
:class:`~braid_kernel.app.kernel.Kernel` is given it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import zmq

from braid_kernel.routing.startup import StartupGate
from braid_kernel.transport.heartbeat import Heartbeat
from braid_kernel.transport.limits import Backlog
from braid_kernel.transport.outbox import Outbox
from braid_kernel.transport.supervisor import Lifeline
from braid_kernel.transport.zmq_io import IOThread
from braid_kernel.wire.codec import WireCodec
from braid_kernel.wire.connection import ConnectionInfo
from braid_kernel.wire.signing import Signer


@dataclass
class Transport:
    """The ZeroMQ side of a kernel process, serving before the kernel is built."""

    info: ConnectionInfo
    session: str
    outbox: Outbox = field(default_factory=Outbox)
    ctx: zmq.Context[zmq.Socket[bytes]] = field(default_factory=zmq.Context)
    lifeline: Lifeline = field(default_factory=Lifeline)  # where kernel threads that gave up report

    def __post_init__(self) -> None:
        self.codec = WireCodec(Signer(self.info.key, self.info.signature_scheme), self.session, "braid")
        self.gate = StartupGate(self.codec)
        give_up = self.lifeline.give_up
        self.backlog = Backlog()  # requests handed on and not answered yet (see transport.limits)
        self.io = IOThread(
            self.ctx,
            self.info,
            self.codec,
            self.outbox,
            self.gate.on_frames,
            backlog=self.backlog,
            on_give_up=give_up,
        )
        self.heartbeat = Heartbeat(self.ctx, self.info, on_give_up=give_up)

    def start(self) -> None:
        """Bind every socket (errors raised here), start the heartbeat and keep requests."""
        self.io.start()
        self.heartbeat.start()

    def stop(self) -> None:
        """Send what is queued and close the sockets."""
        self.io.stop()
        self.heartbeat.close_unstarted()
