"""Kernelspecs for gateways: ``braid-kernel install --remote eg|gp``.

The spec runs ``braid_kernel launch`` with the placeholders the server fills in (``{kernel_id}``,
``{response_address}``, ``{public_key}``, ``{port_range}``) and the kernel's own options, and
names the server-side class that launches it:

* ``gp`` — gateway_provisioners' ``distributed-provisioner`` (``metadata.kernel_provisioner``),
  usable from Jupyter Server or Enterprise Gateway 4 alike.  The spec also carries
  ``{transport_encryption}`` and declares ``curve`` in ``metadata.supported_encryption``:
  gateway_provisioners >= 0.5 passes the manager's policy through it, and the launcher then makes
  CurveZMQ keys.
* ``eg`` — Enterprise Gateway 3's ``DistributedProcessProxy`` (``metadata.process_proxy``), which
  knows nothing of transport encryption (and pins an old jupyter_client).

Both use ``interrupt_mode: message``: interrupts travel on the control channel, so they work
wherever the kernel runs, without a signal crossing hosts.  The interpreter is this one
(``sys.executable``): on other hosts the same path must hold braid-kernel (or edit ``argv[0]``).
"""

from __future__ import annotations

import enum
from typing import Any

from braid_kernel.app.config import KernelConfig
from braid_kernel.app.kernelspec import config_options, spec_argv
from braid_kernel.wire.message import PROTOCOL_VERSION

__all__ = ("RemoteServer", "build_remote_spec", "remote_argv", "remote_spec_name")

_EG_PROXY = "enterprise_gateway.services.processproxies.distributed.DistributedProcessProxy"
_GP_PROVISIONER = "distributed-provisioner"


class RemoteServer(enum.Enum):
    """Which server launches the kernel."""

    EG = "eg"  # Enterprise Gateway 3 (process proxies)
    GP = "gp"  # gateway_provisioners (kernel provisioners)

    @property
    def label(self) -> str:
        return "Enterprise Gateway" if self is RemoteServer.EG else "gateway_provisioners"


def remote_argv(config: KernelConfig, server: RemoteServer, executable: str | None = None) -> list[str]:
    """``argv`` running ``braid_kernel launch`` with the server's placeholders and ``config``'s options."""
    local = spec_argv(config, executable)
    interpreter = local[: local.index("start")]  # [python, (-Xfrozen_modules=off,) -m, braid_kernel]
    contract = [
        "--kernel-id", "{kernel_id}",
        "--response-address", "{response_address}",
        "--public-key", "{public_key}",
        "--port-range", "{port_range}",
    ]  # fmt: skip
    if server is RemoteServer.GP:
        contract += ["--transport-encryption", "{transport_encryption}"]
    return [*interpreter, "launch", *contract, *config_options(config)]


def remote_spec_name(config: KernelConfig, server: RemoteServer) -> str:
    """The default name: the local spec's name and the server, e.g. ``braid-concurrent-gp``."""
    return f"{config.spec_name}-{server.value}"


def build_remote_spec(
    config: KernelConfig, server: RemoteServer, display_name: str | None = None
) -> dict[str, Any]:
    """The ``kernel.json`` contents of a spec ``server`` launches with ``config``'s options."""
    metadata: dict[str, Any] = {"debugger": config.debugger}
    if server is RemoteServer.GP:
        metadata["supported_encryption"] = ["curve"]
        metadata["kernel_provisioner"] = {"provisioner_name": _GP_PROVISIONER, "config": {}}
    else:
        metadata["process_proxy"] = {"class_name": _EG_PROXY}
    return {
        "argv": remote_argv(config, server),
        "display_name": f"{config.spec_display_name} via {server.label}"
        if display_name is None
        else display_name,
        "language": "python",
        "interrupt_mode": "message",
        "kernel_protocol_version": PROTOCOL_VERSION,
        "metadata": metadata,
        "env": {},
    }
