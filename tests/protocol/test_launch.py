"""How kernels are launched: CurveZMQ encryption and the extra argv launchers append."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest
import zmq
from jupyter_client.connect import write_connection_file

from tests.protocol.kernel_client import RawChannel, RunningKernel

pytestmark = pytest.mark.timeout(60)


def test_curve_encrypted_kernel_serves_an_encrypted_client(
    start_kernel: Callable[..., RunningKernel],
) -> None:
    kernel = start_kernel(transport_encryption="required")
    assert kernel.km.curve_publickey, "the connection file has no CurveZMQ server key"
    assert kernel.value("6 * 7") == "42"
    assert kernel.kernel_info("control")["implementation"] == "braid-kernel"


def test_plaintext_client_gets_no_reply_from_a_curve_kernel(
    start_kernel: Callable[..., RunningKernel],
) -> None:
    kernel = start_kernel(transport_encryption="required")
    plaintext = RawChannel(kernel)  # the right HMAC key, but no CurveZMQ keys
    try:
        msg_id = plaintext.send("kernel_info_request", {})
        assert plaintext.wait_reply(msg_id, timeout=2) is None, "a plaintext client was answered"
    finally:
        plaintext.close()
    encrypted = RawChannel(kernel, curve_serverkey=kernel.km.curve_publickey)
    try:
        msg_id = encrypted.send("kernel_info_request", {})
        assert encrypted.wait_reply(msg_id, timeout=10) is not None, "an encrypted raw client got no reply"
    finally:
        encrypted.close()
    assert kernel.value("'encrypted client unaffected'") == "'encrypted client unaffected'"


def test_kernel_tolerates_extra_launcher_arguments(start_kernel: Callable[..., RunningKernel]) -> None:
    kernel = start_kernel(extra_arguments=["--Foo.bar=1", "somefile.py"])
    assert psutil.Process(kernel.pid).cmdline()[-2:] == ["--Foo.bar=1", "somefile.py"]
    assert kernel.is_alive()
    assert kernel.kernel_info()["implementation"] == "braid-kernel"
    assert kernel.value("'served despite extra argv'") == "'served despite extra argv'"


@pytest.mark.parametrize("present", ["curve_publickey", "curve_secretkey"])
def test_a_connection_file_with_one_curve_key_is_refused(tmp_path: Path, present: str) -> None:
    public, secret = zmq.curve_keypair()
    path = str(tmp_path / "half-curve.json")
    if present == "curve_publickey":
        fname, _ = write_connection_file(path, ip="127.0.0.1", key=b"k", curve_publickey=public)
    else:
        fname, _ = write_connection_file(path, ip="127.0.0.1", key=b"k", curve_secretkey=secret)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "braid_kernel", "start", "-f", fname],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,  # a refusal takes a second; subprocess.run kills a kernel that serves
        )
    except subprocess.TimeoutExpired:
        pytest.fail("a kernel with one CurveZMQ key started serving (without encryption)")
    missing = "curve_secretkey" if present == "curve_publickey" else "curve_publickey"
    assert done.returncode != 0, f"a half-configured CurveZMQ kernel started:\n{done.stderr}"
    assert f"no {missing}" in done.stderr, done.stderr


def test_every_channel_of_a_curve_kernel_completes_the_handshake(
    start_kernel: Callable[..., RunningKernel],
) -> None:
    """The sockets' inbound size limits apply to handshake commands too (CurveZMQ's INITIATE is
    ~350 bytes): the heartbeat echoes and IOPub welcomes an encrypted client."""
    kernel = start_kernel(transport_encryption="required")
    ctx = zmq.Context.instance()
    for kind, channel in ((zmq.REQ, "hb"), (zmq.SUB, "iopub")):
        sock = ctx.socket(kind)
        sock.linger = 0
        sock.curve_publickey, sock.curve_secretkey = zmq.curve_keypair()
        sock.curve_serverkey = kernel.km.curve_publickey
        try:
            if kind == zmq.SUB:
                sock.subscribe(b"")
            sock.connect(kernel.connection_endpoint(channel))
            if kind == zmq.REQ:
                sock.send(b"ping")
            assert sock.poll(10_000), f"no answer on {channel} over CurveZMQ"
            if kind == zmq.REQ:
                assert sock.recv() == b"ping"
        finally:
            sock.close()
