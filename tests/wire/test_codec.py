"""The frame codec: what is accepted, what is rejected, and what replies carry."""

from __future__ import annotations

import hashlib
import hmac

import orjson
import pytest

from braid_kernel.errors import BadSignature, MalformedMessage, MessageTooLarge, ReplayedMessage
from braid_kernel.wire.codec import DELIMITER, WireCodec
from braid_kernel.wire.message import PROTOCOL_VERSION, Message
from braid_kernel.wire.signing import Signer

KEY = b"a-secret-key"


def codec(key: bytes = KEY, session: str = "sess", max_bytes: int | None = None) -> WireCodec:
    if max_bytes is None:
        return WireCodec(Signer(key), session)
    return WireCodec(Signer(key), session, max_bytes=max_bytes)


def hand_signed(
    json_frames: list[bytes], key: bytes = KEY, identities: tuple[bytes, ...] = ()
) -> list[bytes]:
    """Frames built without the codec: the signature computed straight from the spec."""
    mac = hmac.new(key, digestmod=hashlib.sha256)
    for frame in json_frames:
        mac.update(frame)
    return [*identities, DELIMITER, mac.hexdigest().encode(), *json_frames]


def header(msg_type: str = "execute_request", msg_id: str = "m1") -> bytes:
    return orjson.dumps(
        {
            "msg_id": msg_id,
            "msg_type": msg_type,
            "session": "client",
            "username": "u",
            "date": "2026-11-22T05:00:00Z",
            "version": "5.5",
        }
    )


def test_encoded_message_decodes_to_the_same_parts() -> None:
    sender, receiver = codec(), codec()
    parent = {"msg_id": "p1", "msg_type": "execute_request", "session": "client"}
    frames = sender.encode(
        "execute_reply",
        {"status": "ok", "n": 1},
        parent,
        metadata={"meta": True},
        identities=[b"client-id"],
        buffers=[b"\x00\x01", memoryview(b"raw")],
    )

    msg = receiver.decode(frames)

    assert msg.msg_type == "execute_reply"
    assert msg.content == {"status": "ok", "n": 1}
    assert msg.parent_header == parent
    assert msg.metadata == {"meta": True}
    assert msg.identities == (b"client-id",)
    assert msg.buffers == (b"\x00\x01", b"raw")
    assert msg.session == "sess"
    assert msg.header["version"] == PROTOCOL_VERSION
    assert msg.header["username"] == "kernel"


def test_decoding_accepts_memoryview_frames() -> None:
    frames = codec().encode("kernel_info_request", {})
    msg = codec().decode([memoryview(f) for f in frames])
    assert msg.msg_type == "kernel_info_request"


def test_signature_is_the_spec_hmac_of_the_four_json_frames() -> None:
    frames = codec().encode("status", {"execution_state": "idle"})
    split = frames.index(DELIMITER)
    json_frames = frames[split + 2 : split + 6]
    assert frames[split + 1] == hand_signed(json_frames)[1]


def test_message_signed_by_a_client_per_spec_is_accepted() -> None:
    json_frames = [header(), b"{}", b"{}", orjson.dumps({"code": "1"})]
    msg = codec().decode(hand_signed(json_frames, identities=(b"id1", b"id2")))
    assert msg.content == {"code": "1"}
    assert msg.identities == (b"id1", b"id2")


def test_tampered_content_is_rejected() -> None:
    frames = codec().encode("execute_request", {"code": "print(1)"})
    frames[-1] = orjson.dumps({"code": "import os; os.system('rm -rf /')"})
    with pytest.raises(BadSignature):
        codec().decode(frames)


def test_message_signed_with_another_key_is_rejected() -> None:
    frames = codec(key=b"wrong-key").encode("execute_request", {"code": "1"})
    with pytest.raises(BadSignature):
        codec().decode(frames)


def test_unsigned_message_is_rejected_when_a_key_is_set() -> None:
    frames = codec(key=b"").encode("execute_request", {"code": "1"})
    with pytest.raises(BadSignature):
        codec().decode(frames)


def test_replayed_message_is_rejected() -> None:
    frames = codec().encode("execute_request", {"code": "1"})
    receiver = codec()
    receiver.decode(frames)
    with pytest.raises(ReplayedMessage):
        receiver.decode(frames)


def test_empty_key_means_no_signing_and_no_verification() -> None:
    frames = codec(key=b"").encode("execute_request", {"code": "1"})
    split = frames.index(DELIMITER)
    assert frames[split + 1] == b""
    frames[split + 1] = b"anything"
    receiver = codec(key=b"")
    assert receiver.decode(frames).content == {"code": "1"}
    assert receiver.decode(frames).content == {"code": "1"}  # no signatures, so no replay check


@pytest.mark.parametrize("kept", [0, 1, 4])
def test_truncated_message_is_malformed(kept: int) -> None:
    frames = codec().encode("execute_request", {"code": "1"})
    split = frames.index(DELIMITER)
    with pytest.raises(MalformedMessage, match="expected 5 frames"):
        codec().decode(frames[: split + 1 + kept])


def test_message_without_delimiter_is_malformed() -> None:
    frames = codec().encode("execute_request", {"code": "1"})
    frames.remove(DELIMITER)
    with pytest.raises(MalformedMessage, match="delimiter"):
        codec().decode(frames)


@pytest.mark.parametrize(
    ("position", "name"), [(0, "header"), (1, "parent_header"), (2, "metadata"), (3, "content")]
)
def test_invalid_json_frame_is_malformed_and_named(position: int, name: str) -> None:
    json_frames = [header(), b"{}", b"{}", b"{}"]
    json_frames[position] = b"{not json"
    with pytest.raises(MalformedMessage, match=f"{name} frame is not valid JSON"):
        codec().decode(hand_signed(json_frames))


@pytest.mark.parametrize("value", [b"[]", b"1", b'"text"', b"null"])
def test_json_frame_that_is_not_an_object_is_malformed(value: bytes) -> None:
    with pytest.raises(MalformedMessage, match="content frame is not a JSON object"):
        codec().decode(hand_signed([header(), b"{}", b"{}", value]))


@pytest.mark.parametrize(
    "bad_header",
    [
        {"msg_id": "m1"},
        {"msg_id": "m1", "msg_type": ""},
        {"msg_id": "m1", "msg_type": 3},
        {"msg_type": "execute_request"},
        {"msg_type": "execute_request", "msg_id": 7},
    ],
)
def test_header_without_msg_type_or_msg_id_is_malformed(bad_header: dict[str, object]) -> None:
    with pytest.raises(MalformedMessage, match="header has no msg_"):
        codec().decode(hand_signed([orjson.dumps(bad_header), b"{}", b"{}", b"{}"]))


def test_message_above_the_size_limit_is_rejected_before_verification() -> None:
    frames = codec().encode("comm_msg", {"data": "x" * 2000})
    with pytest.raises(MessageTooLarge, match="1000-byte limit"):
        codec(max_bytes=1000).decode(frames)


def test_message_at_the_size_limit_is_accepted() -> None:
    frames = codec().encode("comm_msg", {"data": "x" * 2000})
    size = sum(len(f) for f in frames)
    assert codec(max_bytes=size).decode(frames).msg_type == "comm_msg"


def test_buffers_count_towards_the_size_limit() -> None:
    frames = codec().encode("comm_msg", {}, buffers=[b"\0" * 5000])
    with pytest.raises(MessageTooLarge):
        codec(max_bytes=4096).decode(frames)


def test_reply_header_carries_the_parents_subshell_id() -> None:
    parent = {"msg_id": "p1", "msg_type": "execute_request", "subshell_id": "sub-1"}
    msg = codec().decode(codec().encode("execute_reply", {"status": "ok"}, parent))
    assert msg.header["subshell_id"] == "sub-1"
    assert msg.subshell_id == "sub-1"


def test_reply_to_a_main_shell_request_has_no_subshell_id() -> None:
    msg = codec().decode(codec().encode("execute_reply", {"status": "ok"}, {"msg_id": "p1"}))
    assert "subshell_id" not in msg.header
    assert msg.subshell_id is None


def test_explicit_header_overrides_the_fresh_one() -> None:
    kernel = codec()
    own = kernel.header("input_request", "sub-2")
    msg = codec().decode(kernel.encode("input_request", {"prompt": ""}, {"msg_id": "p"}, header=own))
    assert msg.header["msg_id"] == own["msg_id"]
    assert msg.subshell_id == "sub-2"


def test_every_encoded_message_has_a_unique_msg_id() -> None:
    kernel, client = codec(), codec()
    ids = {client.decode(kernel.encode("status", {"execution_state": "busy"})).msg_id for _ in range(200)}
    assert len(ids) == 200


def test_message_record_is_immutable() -> None:
    msg = Message(header={"msg_type": "x", "msg_id": "1"})
    with pytest.raises(AttributeError):
        msg.header = {}  # type: ignore[misc]
