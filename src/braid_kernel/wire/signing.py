"""HMAC signing and verification of messages, with replay protection.

The signature covers the four JSON frames (header, parent header, metadata,
content) in that order, keyed with the connection file's key and scheme.
An empty key disables signing, as the protocol specifies.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import OrderedDict
from collections.abc import Sequence

from braid_kernel.errors import BadSignature, ConfigError, ReplayedMessage

_SCHEMES = {"hmac-sha256": hashlib.sha256, "hmac-sha512": hashlib.sha512, "hmac-md5": hashlib.md5}


class Signer:
    """Signs outgoing frames and verifies incoming ones.

    ``verify`` remembers the last ``history`` signatures it accepted and rejects
    a repeated one as a replay.  Not thread-safe: one instance per thread.
    """

    def __init__(self, key: bytes, scheme: str = "hmac-sha256", history: int = 1 << 16) -> None:
        if scheme not in _SCHEMES:
            raise ConfigError(f"unsupported signature_scheme {scheme!r}: use one of {sorted(_SCHEMES)}")
        self._template = hmac.new(key, digestmod=_SCHEMES[scheme]) if key else None
        self._seen: OrderedDict[bytes, None] = OrderedDict()
        self._history = history

    @property
    def enabled(self) -> bool:
        """False when the key is empty (no authentication)."""
        return self._template is not None

    def sign(self, frames: Sequence[bytes]) -> bytes:
        """The hex signature of the four JSON frames (empty when disabled)."""
        if self._template is None:
            return b""
        mac = self._template.copy()
        for frame in frames:
            mac.update(frame)
        return mac.hexdigest().encode("ascii")

    def verify(self, signature: bytes, frames: Sequence[bytes]) -> None:
        """Raise :class:`BadSignature` or :class:`ReplayedMessage`; else record it."""
        if self._template is None:
            return
        if not hmac.compare_digest(signature, self.sign(frames)):
            raise BadSignature("message signature does not match (wrong key or tampered message)")
        if signature in self._seen:
            raise ReplayedMessage("message signature already seen (replayed message)")
        self._seen[signature] = None
        if len(self._seen) > self._history:
            self._seen.popitem(last=False)
