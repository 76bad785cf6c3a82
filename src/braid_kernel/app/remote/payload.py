"""The answer a launched kernel sends its gateway: the version-1 connection-info payload.

What the servers decrypt (gateway_provisioners' ``ResponseManager``, Enterprise Gateway's
``RemoteProcessProxy``): the connection info as JSON, padded (PKCS#7) and encrypted with a fresh
16-byte AES key in ECB mode; the AES key encrypted with the server's RSA public key (PKCS#1 v1.5);
both base64-encoded into ``{"version": 1, "key": ..., "conn_info": ...}``, and that JSON
base64-encoded once more.  The cipher choices are the servers', not ours: the payload is as safe as
that scheme (it keeps the HMAC key and CurveZMQ secret from a passive listener; it does not
authenticate the kernel to the server).

The ``cryptography`` package does the work; it is the ``remote`` extra
(``pip install 'braid-kernel[remote]'``), and :func:`require_cryptography` names it when missing.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from braid_kernel.errors import ConfigError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

__all__ = ("PAYLOAD_VERSION", "ServerKey", "encrypt_payload", "require_cryptography")

PAYLOAD_VERSION = 1
AES_KEY_BYTES = 16  # AES-128, as the servers expect
_EXTRA_HINT = "install it with: pip install 'braid-kernel[remote]'"


def require_cryptography() -> None:
    """Raise :class:`ConfigError` naming the ``remote`` extra unless ``cryptography`` imports."""
    try:
        import cryptography.hazmat.primitives.ciphers  # noqa: F401
    except ImportError as exc:
        raise ConfigError(
            f"braid-kernel launch needs the 'cryptography' package to answer the gateway ({exc}): "
            f"{_EXTRA_HINT}"
        ) from None


class ServerKey:
    """The server's RSA public key, as passed in ``--public-key`` (base64 DER, no PEM armour)."""

    def __init__(self, key: RSAPublicKey) -> None:
        self._key = key

    @classmethod
    def from_text(cls, text: str) -> ServerKey:
        """Decode the server's key; :class:`ConfigError` if it is not an RSA public key."""
        require_cryptography()
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

        try:
            key = serialization.load_der_public_key(base64.b64decode(text, validate=True))
        except ValueError as exc:
            raise ConfigError(f"--public-key is not a public key the server could have sent: {exc}") from None
        if not isinstance(key, RSAPublicKey):
            raise ConfigError("--public-key is not an RSA key: the gateway sends RSA keys")
        return cls(key)

    def wrap(self, secret: bytes) -> bytes:
        """``secret`` encrypted for the server (RSA, PKCS#1 v1.5 padding: what it decrypts)."""
        from cryptography.hazmat.primitives.asymmetric import padding

        return self._key.encrypt(secret, padding.PKCS1v15())


def _aes_ecb(key: bytes, plaintext: bytes) -> bytes:
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    padder = padding.PKCS7(128).padder()
    padded = padder.update(plaintext) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()  # ECB: the servers decrypt it so
    return encryptor.update(padded) + encryptor.finalize()


def encrypt_payload(connection_info: Mapping[str, Any], server_key: ServerKey) -> bytes:
    """The bytes to send to the response address for ``connection_info`` (a JSON-able mapping)."""
    aes_key = os.urandom(AES_KEY_BYTES)
    plaintext = json.dumps(dict(connection_info)).encode("utf-8")
    envelope = {
        "version": PAYLOAD_VERSION,
        "key": base64.b64encode(server_key.wrap(aes_key)).decode("ascii"),
        "conn_info": base64.b64encode(_aes_ecb(aes_key, plaintext)).decode("ascii"),
    }
    return base64.b64encode(json.dumps(envelope).encode("utf-8"))
