"""Content-Length framing of DAP messages, without sockets."""

from __future__ import annotations

import json

import pytest

from braid_kernel.features.debugger.engine import FramingError
from braid_kernel.features.debugger.engine.framing import FrameDecoder, encode

pytestmark = pytest.mark.timeout(60)

MESSAGES = [
    {"seq": 1, "type": "request", "command": "initialize", "arguments": {"clientID": "jupyterlab"}},
    {"seq": 2, "type": "event", "event": "output", "body": {"output": "héllo ✓ 世界\n"}},
    {"seq": 3, "type": "response", "request_seq": 1, "success": True, "command": "initialize"},
]


def test_encoded_frame_counts_bytes_not_characters() -> None:
    frame = encode(MESSAGES[1])
    header, _, body = frame.partition(b"\r\n\r\n")
    assert header == b"Content-Length: %d" % len(body)
    assert len(body) > len(body.decode("utf-8"))  # multi-byte characters inside
    assert json.loads(body) == MESSAGES[1]


def test_decoder_returns_all_frames_of_one_chunk_in_order() -> None:
    stream = b"".join(encode(m) for m in MESSAGES)
    assert FrameDecoder().feed(stream) == MESSAGES


def test_decoder_reassembles_frames_fed_byte_by_byte() -> None:
    stream = b"".join(encode(m) for m in MESSAGES)
    decoder = FrameDecoder()
    received = []
    for index in range(len(stream)):
        received += decoder.feed(stream[index : index + 1])
    assert received == MESSAGES


def test_decoder_keeps_a_partial_frame_for_the_next_chunk() -> None:
    frame = encode(MESSAGES[0])
    decoder = FrameDecoder()
    assert decoder.feed(frame[:-5]) == []
    assert decoder.feed(frame[-5:] + encode(MESSAGES[2])[:10]) == [MESSAGES[0]]


def test_decoder_ignores_other_header_fields_and_case() -> None:
    body = json.dumps(MESSAGES[2]).encode()
    frame = b"Content-Type: application/json\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)
    assert FrameDecoder().feed(frame) == [MESSAGES[2]]


@pytest.mark.parametrize(
    "garbage",
    [
        b"Content-Type: x\r\n\r\n{}",  # no length
        b"Content-Length: ten\r\n\r\n{}",  # not a number
        b"Content-Length: 4\r\n\r\n[1,]",  # not JSON
        b"Content-Length: 3\r\n\r\n[1]",  # not an object
        b"x" * 2000,  # no header end in sight
    ],
)
def test_decoder_rejects_malformed_frames(garbage: bytes) -> None:
    with pytest.raises(FramingError):
        FrameDecoder().feed(garbage)
