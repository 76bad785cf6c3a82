"""Connection files: where the kernel listens and how it signs.

Parsed once at startup into a frozen :class:`ConnectionInfo`.  Curve keys are
present when the launcher (jupyter_client >= 8.9 with transport encryption)
provisioned CurveZMQ credentials for the kernel.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from braid_kernel.errors import ConfigError

CHANNELS = ("shell", "control", "stdin", "iopub", "hb")


@dataclass(frozen=True, slots=True)
class ConnectionInfo:
    """The contents of a kernel connection file."""

    transport: str
    ip: str
    shell_port: int
    control_port: int
    stdin_port: int
    iopub_port: int
    hb_port: int
    key: bytes
    signature_scheme: str = "hmac-sha256"
    kernel_name: str = ""
    curve_publickey: bytes | None = None
    curve_secretkey: bytes | None = None

    @property
    def curve(self) -> bool:
        """True when the sockets must be CurveZMQ servers."""
        return self.curve_publickey is not None and self.curve_secretkey is not None

    def port(self, channel: str) -> int:
        return int(getattr(self, f"{channel}_port"))

    def endpoint(self, channel: str) -> str:
        """The address a socket for ``channel`` binds to."""
        port = self.port(channel)
        if self.transport == "ipc":
            return f"ipc://{self.ip}-{port}"
        return f"tcp://{self.ip}:{port}"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ConnectionInfo:
        """Validate a parsed connection file; :class:`ConfigError` says what is wrong."""
        transport = str(data.get("transport", "tcp"))
        if transport not in ("tcp", "ipc"):
            raise ConfigError(f"connection file transport {transport!r} is not 'tcp' or 'ipc'")
        try:
            ports = {f"{c}_port": int(data[f"{c}_port"]) for c in CHANNELS}
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"connection file lacks a valid port: {exc}") from exc
        key = data.get("key", "")
        pub, sec = data.get("curve_publickey"), data.get("curve_secretkey")
        return cls(
            transport=transport,
            ip=str(data.get("ip", "127.0.0.1")),
            key=key.encode() if isinstance(key, str) else bytes(key),
            signature_scheme=str(data.get("signature_scheme", "hmac-sha256")),
            kernel_name=str(data.get("kernel_name", "")),
            curve_publickey=pub.encode() if isinstance(pub, str) else None,
            curve_secretkey=sec.encode() if isinstance(sec, str) else None,
            **ports,
        )

    @classmethod
    def load(cls, path: Path) -> ConnectionInfo:
        """Read and validate a connection file."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read connection file {path}: {exc}") from exc
        if not isinstance(data, dict):
            raise ConfigError(f"connection file {path} is not a JSON object")
        return cls.from_dict(data)
