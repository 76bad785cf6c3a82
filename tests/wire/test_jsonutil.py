"""JSON for the wire: the Python values user code puts into messages."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import numpy as np
import orjson
import pytest

from braid_kernel.wire import jsonutil
from braid_kernel.wire.codec import WireCodec
from braid_kernel.wire.signing import Signer


def roundtrip(obj: Any) -> Any:
    return orjson.loads(jsonutil.dumps(obj))


def test_timezone_aware_datetime_becomes_iso_with_z() -> None:
    assert roundtrip(dt.datetime(2026, 11, 22, 5, 42, 7, tzinfo=dt.UTC)) == "2026-11-22T05:42:07Z"


def test_datetime_with_offset_keeps_the_offset() -> None:
    tz = dt.timezone(dt.timedelta(hours=2))
    assert roundtrip(dt.datetime(2026, 11, 22, 5, 42, tzinfo=tz)) == "2026-11-22T05:42:00+02:00"


def test_naive_datetime_and_date_become_iso_strings() -> None:
    assert roundtrip({"when": dt.datetime(2026, 1, 2, 3, 4, 5), "day": dt.date(2026, 1, 2)}) == {
        "when": "2026-01-02T03:04:05",
        "day": "2026-01-02",
    }


@pytest.mark.parametrize("data", [b"\x00\xffbinary", bytearray(b"\x01\x02"), memoryview(b"view")])
def test_bytes_become_base64(data: bytes | bytearray | memoryview) -> None:
    assert base64.b64decode(roundtrip({"b": data})["b"]) == bytes(data)


def test_sets_become_lists() -> None:
    out = roundtrip({"s": {3, 1, 2}, "f": frozenset({"a"})})
    assert sorted(out["s"]) == [1, 2, 3]
    assert out["f"] == ["a"]


def test_non_string_keys_are_stringified() -> None:
    assert roundtrip({1: "int", 2.5: "float", None: "none"}) == {"1": "int", "2.5": "float", "null": "none"}


def test_date_keys_are_iso_strings() -> None:
    assert roundtrip({dt.date(2020, 1, 1): 1}) == {"2020-01-01": 1}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (np.int64(3), 3),
        (np.int8(-4), -4),
        (np.uint32(7), 7),
        (np.float64(1.5), 1.5),
        (np.float32(0.25), 0.25),
        (np.float16(1.5), 1.5),
        (np.bool_(True), True),
    ],
)
def test_numpy_scalars_become_numbers(value: Any, expected: Any) -> None:
    out = roundtrip({"v": value})["v"]
    assert out == expected
    assert type(out) is type(expected)


def test_contiguous_numpy_arrays_become_nested_lists() -> None:
    assert roundtrip(np.arange(6).reshape(2, 3)) == [[0, 1, 2], [3, 4, 5]]
    assert roundtrip(np.array([0.5, 1.5], dtype=np.float32)) == [0.5, 1.5]


@pytest.mark.parametrize(
    "array",
    [
        np.arange(6).reshape(2, 3).T,
        np.arange(10)[::2],
        np.array(["a", "b"]),
    ],
    ids=["transposed", "strided", "str-dtype"],
)
def test_numpy_arrays_orjson_cannot_serialize_natively_become_lists(array: Any) -> None:
    assert roundtrip(array) == array.tolist()


def test_unserializable_value_is_a_type_error_naming_the_type() -> None:
    class Opaque:
        pass

    with pytest.raises(TypeError, match="Opaque"):
        jsonutil.dumps({"x": Opaque()})


def test_loads_rejects_invalid_json_with_a_value_error() -> None:
    with pytest.raises(ValueError):
        jsonutil.loads(b"{nope")


def test_codec_encodes_rich_content_a_client_can_decode() -> None:
    kernel, client = WireCodec(Signer(b"k"), "s"), WireCodec(Signer(b"k"), "c")
    content = {"data": {"when": dt.datetime(2026, 1, 1, tzinfo=dt.UTC), "arr": np.arange(3), 7: {1}}}
    msg = client.decode(kernel.encode("display_data", content))
    assert msg.content == {"data": {"when": "2026-01-01T00:00:00Z", "arr": [0, 1, 2], "7": [1]}}
    assert isinstance(msg.header["date"], str)
    assert msg.header["date"].endswith("Z")


def test_lone_surrogates_are_sent_as_replacement_characters() -> None:
    text = b"caf\xe9".decode("utf-8", "surrogateescape")
    assert jsonutil.dumps({text: [text, "ok"]}).decode("utf-8") == '{"caf\ufffd":["caf\ufffd","ok"]}'


def test_a_surrogate_pair_is_sent_as_the_character_it_encodes() -> None:
    assert roundtrip("\ud83d\ude00") == "\U0001f600"


def test_integers_beyond_64_bits_keep_every_digit() -> None:
    assert (
        jsonutil.dumps({"n": 2**70, "m": -(2**80)})
        == b'{"n":1180591620717411303424,"m":-1208925819614629174706176}'
    )


def test_invalid_utf8_received_is_decoded_with_replacement_characters() -> None:
    # what jupyter_client sends for code holding a lone surrogate: the raw byte it stands for
    assert jsonutil.loads(b'{"code": "caf\xe9"}') == {"code": "caf\ufffd"}
