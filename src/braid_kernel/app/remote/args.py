"""What a gateway passes to ``braid-kernel launch``: the kernel-launcher contract's arguments.

Enterprise Gateway and gateway_provisioners start a remote kernel by running its kernelspec's
``argv`` after filling placeholders: ``{kernel_id}``, ``{response_address}`` (``ip:port`` of the
server's response socket), ``{public_key}`` (the server's RSA public key, the base64 body of a
PEM with header, footer and newlines removed), ``{port_range}`` (``lower..upper``; ``0..0`` for
any port) and, since gateway_provisioners 0.5, ``{transport_encryption}`` (``auto`` or
``required`` when the server asks for CurveZMQ, empty otherwise).  Enterprise Gateway's older
kernelspecs spell the options ``--RemoteProcessProxy.kernel-id`` and so on: both spellings are
accepted, the plain one winning when both are given, as in the stock launchers.

The stock Python launcher also takes Spark and Dask-on-YARN options; braid accepts the values
that ask for nothing (``--spark-context-initialization-mode none``, ``--cluster-type none`` or
``spark``) and refuses the others, since it does not create those contexts itself.

This module is pure: :func:`launch_request` validates what argparse collected into a frozen
:class:`LaunchRequest` and raises :class:`ConfigError` naming the bad argument.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import enum
import re
from dataclasses import dataclass

from braid_kernel.errors import ConfigError

__all__ = ("DEFAULT_IP", "Encryption", "LaunchRequest", "PortRange", "add_launcher_options", "launch_request")

#: The address the kernel's sockets bind to unless ``--ip`` says otherwise: every interface, since
#: the server connects from another host (the stock launchers do the same).
DEFAULT_IP = "0.0.0.0"
#: Sockets the launcher binds in the port range: five channels and the comm port.
PORTS_NEEDED = 6

_PLACEHOLDER = re.compile(r"\{[A-Za-z0-9_]+\}")
_SPEC_HINT = "this kernelspec is meant to be started by Enterprise Gateway or gateway_provisioners"


class Encryption(enum.Enum):
    """The transport-encryption policy the server asked for (jupyter_client's vocabulary)."""

    DISABLED = "disabled"
    AUTO = "auto"  # CurveZMQ if this host's libzmq has it, else plaintext with a warning
    REQUIRED = "required"  # CurveZMQ or no kernel


@dataclass(frozen=True, slots=True)
class PortRange:
    """Ports the kernel may bind: ``lower..upper`` inclusive, or any port when both are 0."""

    lower: int = 0
    upper: int = 0

    @property
    def any_port(self) -> bool:
        return self.lower == 0 and self.upper == 0

    @classmethod
    def parse(cls, text: str) -> PortRange:
        """``"lower..upper"``; :class:`ConfigError` unless both are ports with room for the kernel."""
        lower_text, dots, upper_text = text.partition("..")
        try:
            lower, upper = int(lower_text), int(upper_text)
        except ValueError:
            lower = upper = -1
        if not dots or lower < 0 or upper < 0:
            raise ConfigError(f"--port-range {text!r}: expected LOWER..UPPER, e.g. 40000..41000 (0..0: any)")
        port_range = cls(lower, upper)
        if port_range.any_port:
            return port_range
        if not 1024 <= lower <= upper <= 65535:
            raise ConfigError(f"--port-range {text!r}: ports must satisfy 1024 <= LOWER <= UPPER <= 65535")
        if upper - lower + 1 < PORTS_NEEDED:
            raise ConfigError(f"--port-range {text!r}: the kernel needs at least {PORTS_NEEDED} ports")
        return port_range


@dataclass(frozen=True, slots=True)
class LaunchRequest:
    """One launch, validated: where to answer, how to encrypt the answer, which ports to use."""

    kernel_id: str
    response_host: str
    response_port: int
    public_key: str  # as the server passed it; decoded by app.remote.payload (needs cryptography)
    port_range: PortRange
    encryption: Encryption
    ip: str = DEFAULT_IP


# (plain flag, deprecated Enterprise Gateway flag, dest, help)
_CONTRACT = (
    ("--kernel-id", "--RemoteProcessProxy.kernel-id", "kernel_id", "the kernel id the server assigned"),
    (
        "--response-address", "--RemoteProcessProxy.response-address", "response_address",
        "IP:PORT where the server waits for the kernel's connection info",
    ),
    (
        "--public-key", "--RemoteProcessProxy.public-key", "public_key",
        "the server's RSA public key (base64 DER) that encrypts the connection info",
    ),
    (
        "--port-range", "--RemoteProcessProxy.port-range", "port_range",
        "LOWER..UPPER: the ports the kernel may bind (0..0: any)",
    ),
    (
        "--spark-context-initialization-mode", "--RemoteProcessProxy.spark-context-initialization-mode",
        "spark_mode", "accepted for the stock launcher's kernelspecs: only 'none'",
    ),
    (
        "--cluster-type", "--RemoteProcessProxy.cluster-type", "cluster_type",
        "accepted for the stock launcher's kernelspecs: 'none' or 'spark' (with mode none)",
    ),
)  # fmt: skip


def add_launcher_options(parser: argparse.ArgumentParser) -> None:
    """The contract's options, in both spellings, on ``parser`` (the ``launch`` sub-command)."""
    for flag, deprecated, dest, doc in _CONTRACT:
        parser.add_argument(flag, dest=dest, default=None, metavar=dest.upper(), help=doc)
        parser.add_argument(deprecated, dest=f"rpp_{dest}", default=None, help=argparse.SUPPRESS)
    parser.add_argument(
        "--transport-encryption", dest="transport_encryption", default=None, metavar="POLICY",
        help="auto or required: serve over CurveZMQ (keys made here and sent to the server); "
        "empty or disabled: plaintext",
    )  # fmt: skip
    parser.add_argument("--kernel-class-name", dest="kernel_class_name", default=None, help=argparse.SUPPRESS)
    parser.add_argument(
        "--ip", default=DEFAULT_IP, help=f"the address the kernel's sockets bind to (default: {DEFAULT_IP})"
    )


def _value(ns: argparse.Namespace, dest: str) -> str | None:
    value: str | None = getattr(ns, dest) or getattr(ns, f"rpp_{dest}")
    return value


def _filled(ns: argparse.Namespace, dest: str, flag: str) -> str:
    value = _value(ns, dest)
    if value is None:
        raise ConfigError(f"{flag} is required: {_SPEC_HINT}")
    if _PLACEHOLDER.fullmatch(value):
        raise ConfigError(f"{flag} is the unfilled placeholder {value}: {_SPEC_HINT}")
    return value


def _response_address(text: str) -> tuple[str, int]:
    host, colon, port_text = text.rpartition(":")
    port = int(port_text) if port_text.isdigit() else 0
    if not colon or not host or not 0 < port < 65536:
        raise ConfigError(f"--response-address {text!r}: expected IP:PORT")
    return host.strip("[]"), port


def _bind_ip(text: str) -> str:
    if ":" in text:  # the kernel's ZeroMQ endpoints are IPv4 (tcp://IP:PORT without IPv6 sockets)
        raise ConfigError(f"--ip {text!r}: give an IPv4 address (0.0.0.0: every interface)")
    return text


def _public_key(text: str) -> str:
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError("--public-key is not base64: pass the server's public key unchanged") from None
    return text


def _encryption(value: str | None) -> Encryption:
    """The policy; empty, absent or an unfilled placeholder (a server that predates it) mean none."""
    text = (value or "").strip().lower()
    if not text or _PLACEHOLDER.fullmatch(text):
        return Encryption.DISABLED
    try:
        return Encryption(text)
    except ValueError:
        raise ConfigError(
            f"--transport-encryption {value!r}: expected auto, required, disabled or nothing"
        ) from None


def _check_unsupported(ns: argparse.Namespace) -> None:
    spark_mode = (_value(ns, "spark_mode") or "none").lower()
    if spark_mode != "none":
        raise ConfigError(
            f"--spark-context-initialization-mode {spark_mode}: braid does not create a Spark context "
            "at launch; use 'none' and build one in a cell (SparkSession.builder.getOrCreate())"
        )
    cluster_type = (_value(ns, "cluster_type") or "none").lower()
    if cluster_type not in ("none", "spark"):
        raise ConfigError(
            f"--cluster-type {cluster_type}: braid attaches no cluster at launch; use 'none' and "
            "connect in a cell (for Dask on YARN: dask_yarn.YarnCluster.from_current())"
        )
    if ns.kernel_class_name is not None:
        raise ConfigError(
            "--kernel-class-name names an ipykernel Kernel subclass: braid is not ipykernel; drop the option"
        )


def launch_request(ns: argparse.Namespace) -> LaunchRequest:
    """Validate the options :func:`add_launcher_options` collected; :class:`ConfigError` if bad."""
    _check_unsupported(ns)
    kernel_id = _filled(ns, "kernel_id", "--kernel-id")
    host, port = _response_address(_filled(ns, "response_address", "--response-address"))
    public_key = _public_key(_filled(ns, "public_key", "--public-key"))
    port_text = _value(ns, "port_range")
    port_range = (
        PortRange() if port_text is None or _PLACEHOLDER.fullmatch(port_text) else PortRange.parse(port_text)
    )
    return LaunchRequest(
        kernel_id=kernel_id,
        response_host=host,
        response_port=port,
        public_key=public_key,
        port_range=port_range,
        encryption=_encryption(ns.transport_encryption),
        ip=_bind_ip(ns.ip),
    )
