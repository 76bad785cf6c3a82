"""Message dicts (jupyter_client / websocket shape) to frames and back."""

from __future__ import annotations

import datetime

import pytest

from braid_kernel.errors import MalformedMessage
from braid_kernel.wire.codec import WireCodec
from braid_kernel.wire.msgdict import channel_of, dict_from_message, frames_from_dict
from braid_kernel.wire.signing import Signer


def codec() -> WireCodec:
    return WireCodec(Signer(b"key"), "session")


def client_msg() -> dict[str, object]:
    header = {
        "msg_id": "m1",
        "msg_type": "execute_request",
        "session": "s",
        "date": datetime.datetime.now(datetime.UTC),
    }
    return {"channel": "shell", "header": header, "content": {"code": "1"}, "buffers": [b"raw"]}


def test_a_dict_round_trips_through_signed_frames() -> None:
    frames = frames_from_dict(client_msg(), codec(), (b"ident",))
    msg = codec().decode(frames)
    assert msg.identities == (b"ident",)
    assert msg.msg_type == "execute_request" and msg.content == {"code": "1"}
    assert msg.buffers == (b"raw",)
    out = dict_from_message(msg, "shell")
    assert out["channel"] == "shell" and out["msg_id"] == "m1" and out["parent_header"] == {}
    assert isinstance(out["header"]["date"], str), "dates become ISO strings, as on the wire"


@pytest.mark.parametrize(
    ("msg", "error"),
    [
        ({"header": {"msg_id": "x"}}, "msg_type"),
        ({"header": {"msg_type": "kernel_info_request"}}, "msg_id"),
        ({"content": {}}, "'header' is missing"),
        ({"header": {"msg_id": "x", "msg_type": "t"}, "content": []}, "'content' is a list"),
    ],
)
def test_what_is_not_a_message_is_named(msg: dict[str, object], error: str) -> None:
    with pytest.raises(MalformedMessage, match=error):
        frames_from_dict(msg, codec())


def test_channel_of_accepts_the_four_channels_only() -> None:
    assert channel_of({"channel": "control"}) == "control"
    assert channel_of({}, "stdin") == "stdin"
    with pytest.raises(MalformedMessage, match="hb"):
        channel_of({"channel": "hb"})
