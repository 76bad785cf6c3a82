"""HMAC signing: the spec's signature, the supported schemes, replay memory."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import pytest

from braid_kernel.errors import BadSignature, ConfigError, ReplayedMessage
from braid_kernel.wire.signing import Signer

FRAMES = [b'{"msg_id":"1"}', b"{}", b"{}", b'{"code":"1"}']


@pytest.mark.parametrize(
    ("scheme", "digest"),
    [("hmac-sha256", hashlib.sha256), ("hmac-sha512", hashlib.sha512), ("hmac-md5", hashlib.md5)],
)
def test_signature_is_the_hex_hmac_of_the_concatenated_frames(scheme: str, digest: Any) -> None:
    expected = hmac.new(b"key", b"".join(FRAMES), digest).hexdigest().encode()
    assert Signer(b"key", scheme).sign(FRAMES) == expected


def test_unknown_scheme_is_a_config_error_naming_the_choices() -> None:
    with pytest.raises(ConfigError, match=r"hmac-sha1.*hmac-sha256"):
        Signer(b"key", "hmac-sha1")


def test_signing_is_disabled_by_an_empty_key() -> None:
    signer = Signer(b"")
    assert not signer.enabled
    assert signer.sign(FRAMES) == b""
    signer.verify(b"whatever", FRAMES)  # accepted: nothing to check


def test_signing_is_enabled_by_a_key() -> None:
    assert Signer(b"k").enabled


def test_verify_accepts_a_good_signature_once() -> None:
    signer = Signer(b"k")
    signature = Signer(b"k").sign(FRAMES)
    signer.verify(signature, FRAMES)
    with pytest.raises(ReplayedMessage):
        signer.verify(signature, FRAMES)


def test_verify_rejects_a_signature_of_other_frames() -> None:
    signer = Signer(b"k")
    with pytest.raises(BadSignature):
        signer.verify(signer.sign(FRAMES), [*FRAMES[:3], b'{"code":"2"}'])


def test_verify_rejects_an_uppercase_hex_signature() -> None:
    signer = Signer(b"k")
    with pytest.raises(BadSignature):
        signer.verify(signer.sign(FRAMES).upper(), FRAMES)


def test_bad_signature_is_not_remembered_as_seen() -> None:
    signer = Signer(b"k")
    good = signer.sign(FRAMES)
    with pytest.raises(BadSignature):
        signer.verify(good, FRAMES[::-1])
    signer.verify(good, FRAMES)


def test_replay_memory_is_bounded_and_forgets_the_oldest() -> None:
    signer = Signer(b"k", history=2)
    messages = [[b'{"msg_id":"%d"}' % i, b"{}", b"{}", b"{}"] for i in range(3)]
    signatures = [signer.sign(m) for m in messages]
    for sig, msg in zip(signatures, messages, strict=True):
        signer.verify(sig, msg)
    signer.verify(signatures[0], messages[0])  # forgotten: accepted again
    with pytest.raises(ReplayedMessage):
        signer.verify(signatures[2], messages[2])
