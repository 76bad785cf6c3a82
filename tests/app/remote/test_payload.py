"""The version-1 payload, decrypted by a fake response server holding the RSA key."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
import zmq

from braid_kernel.app.remote.args import Encryption, LaunchRequest, PortRange
from braid_kernel.app.remote.launcher import connection_payload, kernel_connection, send_payload
from braid_kernel.app.remote.payload import ServerKey, encrypt_payload
from braid_kernel.errors import ConfigError
from tests.app.remote.server import FakeResponseServer

KERNEL_ID = "0a1b2c3d-aaaa-bbbb-cccc-000000000001"


@pytest.fixture
def server() -> Iterator[FakeResponseServer]:
    fake = FakeResponseServer()
    yield fake
    fake.close()


def request_for(server: FakeResponseServer, encryption: Encryption = Encryption.DISABLED) -> LaunchRequest:
    host, port = server.address.split(":")
    return LaunchRequest(
        kernel_id=KERNEL_ID,
        response_host=host,
        response_port=int(port),
        public_key=server.public_key,
        port_range=PortRange(),
        encryption=encryption,
        ip="127.0.0.1",
    )


@pytest.mark.parametrize("encryption", [Encryption.DISABLED, Encryption.REQUIRED])
def test_the_server_decrypts_every_field_of_the_payload(
    server: FakeResponseServer, encryption: Encryption
) -> None:
    request = request_for(server, encryption)
    info = kernel_connection(request, comm_port=1234)
    payload = encrypt_payload(connection_payload(info, request, 1234), ServerKey.from_text(server.public_key))
    thread, box = server.receive_in_thread(timeout=30)
    send_payload(request, payload)
    thread.join()
    assert box[0] is not None
    received = server.decode(box[0])

    assert server.envelope is not None
    assert server.envelope["version"] == 1
    assert set(server.envelope) == {"version", "key", "conn_info"}
    expected = {
        "shell_port": info.shell_port,
        "iopub_port": info.iopub_port,
        "stdin_port": info.stdin_port,
        "control_port": info.control_port,
        "hb_port": info.hb_port,
        "ip": "127.0.0.1",
        "key": info.key.decode(),
        "transport": "tcp",
        "signature_scheme": "hmac-sha256",
        "kernel_name": "",
        "pid": os.getpid(),
        "pgid": os.getpgid(0),
        "comm_port": 1234,
        "kernel_id": KERNEL_ID,
    }
    if encryption is Encryption.REQUIRED:
        assert info.curve_publickey is not None and info.curve_secretkey is not None
        expected["curve_publickey"] = info.curve_publickey.decode()
        expected["curve_secretkey"] = info.curve_secretkey.decode()
        # the keys are a real pair: the public one derives from the secret one
        assert zmq.curve_public(info.curve_secretkey) == info.curve_publickey
    assert received == expected
    ports = [info.shell_port, info.iopub_port, info.stdin_port, info.control_port, info.hb_port, 1234]
    assert len(set(ports)) == 6, "two channels share a port"
    assert len(info.key) >= 32


def test_each_payload_has_its_own_aes_key(server: FakeResponseServer) -> None:
    request = request_for(server)
    key = ServerKey.from_text(server.public_key)
    info = connection_payload(kernel_connection(request, 1234), request, 1234)
    first, second = encrypt_payload(info, key), encrypt_payload(info, key)
    assert first != second
    assert server.decode(first) == server.decode(second) == info


def test_the_payload_does_not_carry_the_connection_info_in_clear(server: FakeResponseServer) -> None:
    request = request_for(server)
    info = kernel_connection(request, 1234)
    payload = encrypt_payload(connection_payload(info, request, 1234), ServerKey.from_text(server.public_key))
    assert info.key not in base64.b64decode(payload)
    assert KERNEL_ID.encode() not in base64.b64decode(payload)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("not base64 at all!", "not a public key"),
        (base64.b64encode(b"junk that is no DER").decode(), "not a public key"),
    ],
)
def test_a_public_key_that_is_not_one_is_refused(text: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        ServerKey.from_text(text)


def test_a_non_rsa_key_is_refused() -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    der = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(ConfigError, match="not an RSA key"):
        ServerKey.from_text(base64.b64encode(der).decode())


def test_an_unreachable_response_address_raises(server: FakeResponseServer) -> None:
    request = request_for(server)
    server.close()  # nothing listens there any more
    with pytest.raises(OSError):
        send_payload(request, b"payload", timeout=5)


def test_without_cryptography_the_launcher_names_the_extra() -> None:
    """A kernel host without the ``remote`` extra: ``launch`` stops before binding anything."""
    code = (
        "import sys; sys.modules['cryptography'] = None\n"  # makes `import cryptography...` fail
        "from braid_kernel.app.cli import main\n"
        "sys.exit(main(['launch', '--kernel-id', 'k', '--response-address', '127.0.0.1:9',"
        " '--public-key', 'QUJD']))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 2, done.stderr
    assert "pip install 'braid-kernel[remote]'" in done.stderr
