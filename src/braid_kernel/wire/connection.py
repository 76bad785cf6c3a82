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
        pub, sec = _curve_keys(data)
        return cls(
            transport=transport,
            ip=str(data.get("ip", "127.0.0.1")),
            key=key.encode() if isinstance(key, str) else bytes(key),
            signature_scheme=str(data.get("signature_scheme", "hmac-sha256")),
            kernel_name=str(data.get("kernel_name", "")),
            curve_publickey=pub,
            curve_secretkey=sec,
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


_CURVE_KEYS = ("curve_publickey", "curve_secretkey")


def _curve_keys(data: dict[str, Any]) -> tuple[bytes | None, bytes | None]:
    """Both CurveZMQ keys, or neither; :class:`ConfigError` names the missing one.

    A launcher that meant to encrypt but wrote one key would otherwise get a
    kernel serving plaintext without a word.  An absent, ``null`` or empty
    value counts as missing.
    """
    pub, sec = (data.get(name) for name in _CURVE_KEYS)
    keys = tuple(value.encode() if isinstance(value, str) and value else None for value in (pub, sec))
    missing = [name for name, value in zip(_CURVE_KEYS, keys, strict=True) if value is None]
    if len(missing) == 1:
        present = next(name for name in _CURVE_KEYS if name not in missing)
        raise ConfigError(
            f"connection file has {present} but no {missing[0]}: CurveZMQ needs both keys; "
            "refusing to start without encryption"
        )
    return keys[0], keys[1]
