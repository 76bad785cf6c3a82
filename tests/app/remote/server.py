"""A fake gateway response server: holds an RSA key pair, receives one payload, decrypts it the
way gateway_provisioners' ResponseManager does (written here from the contract, independently of
the launcher's code)."""

from __future__ import annotations

import base64
import json
import socket
import threading
from typing import Any

from cryptography.hazmat.primitives import padding as sym_padding
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


class FakeResponseServer:
    """Listens on 127.0.0.1; :meth:`receive` returns the decrypted connection info of one launch."""

    def __init__(self) -> None:
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
        der = self.private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.public_key = base64.b64encode(der).decode("ascii")  # what the server puts in argv
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.envelope: dict[str, Any] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.sock.getsockname()[1]}"

    def receive_raw(self, timeout: float) -> bytes | None:
        """The bytes one connection sent before closing; None if nobody connected in time."""
        self.sock.settimeout(timeout)
        try:
            conn, _ = self.sock.accept()
        except TimeoutError:
            return None
        with conn:
            conn.settimeout(timeout)
            data = b""
            while chunk := conn.recv(65536):
                data += chunk
        return data

    def decode(self, data: bytes) -> dict[str, Any]:
        self.envelope = json.loads(base64.b64decode(data))
        assert self.envelope is not None
        aes_key = self.private_key.decrypt(base64.b64decode(self.envelope["key"]), padding.PKCS1v15())
        assert len(aes_key) == 16
        decryptor = Cipher(algorithms.AES(aes_key), modes.ECB()).decryptor()
        padded = decryptor.update(base64.b64decode(self.envelope["conn_info"])) + decryptor.finalize()
        unpadder = sym_padding.PKCS7(128).unpadder()
        info: dict[str, Any] = json.loads(unpadder.update(padded) + unpadder.finalize())
        return info

    def receive(self, timeout: float = 60.0) -> dict[str, Any]:
        data = self.receive_raw(timeout)
        assert data is not None, "the launcher sent no connection info"
        return self.decode(data)

    def receive_in_thread(self, timeout: float = 60.0) -> tuple[threading.Thread, list[bytes | None]]:
        box: list[bytes | None] = []
        thread = threading.Thread(target=lambda: box.append(self.receive_raw(timeout)), daemon=True)
        thread.start()
        return thread, box

    def close(self) -> None:
        self.sock.close()
