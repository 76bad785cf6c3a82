"""jsonstd, the standard library's encoder (Pyodide has no orjson): the bytes orjson's path writes.

Random messages are compared in test_jsonutil_fuzz.py; these are the values Jupyter content
carries that a random JSON-shaped value does not reach.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import uuid
from typing import Any

import numpy as np
import pytest

from braid_kernel.errors import UnencodableContent
from braid_kernel.wire import jsonfast, jsonstd, jsonutil
from braid_kernel.wire.message import new_header


class Level(enum.IntEnum):
    HIGH = 3


class Name(str, enum.Enum):  # noqa: UP042  (the str mix-in is what is tested)
    A = "a"


@dataclasses.dataclass
class Point:
    x: int
    y: float
    _hidden: str = "h"


SAMPLES: list[Any] = [
    np.float32(0.1),
    np.array([[0.1, 0.2]], dtype=np.float32),
    np.float64(1.5e-5),
    np.arange(6).reshape(2, 3),
    np.array([1.0, 2.5])[::2],
    np.bool_(True),
    np.int64(-7),
    {1: np.int64(2)},
    Level.HIGH,
    {Level.HIGH: Name.A, Name.A: 1},
    Point(1, 2e-7),
    uuid.UUID(int=12345),
    {uuid.UUID(int=1): b"\x00\xff"},
    bytearray(b"abc"),
    memoryview(b"abc"),
    {"when": dt.datetime(2026, 12, 6, 9, 30, 1, 5, tzinfo=dt.UTC)},
    {dt.datetime(2026, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30))): 1},
    {1.5e-5: "k", float("nan"): 1, None: 2, True: 3},
    {"caf\udce9": "\ud83d\ude00\ud83d", "big": [2**64, -(2**63) - 1, 2**200]},
    {2**70: 1},
    {"text": '\x00\x1f\x7f\u2028"\\/\b\f\n\r\t'},
]


@pytest.mark.parametrize("value", SAMPLES, ids=range(len(SAMPLES)))
def test_writes_the_bytes_orjson_writes(value: Any) -> None:
    assert jsonstd.dumps(value) == jsonfast.dumps(value)


def test_a_header_and_content_are_the_same_bytes() -> None:
    header = new_header("execute_result", "session", "braid")  # its date is a datetime
    content = {"data": {"text/plain": "42", "application/json": {"a": [1, 2.0, None]}}, "execution_count": 1}
    for part in (header, content):
        assert jsonstd.dumps(part) == jsonfast.dumps(part)


def test_floats_in_orjsons_notation() -> None:
    assert [jsonstd.format_float(x) for x in (1e-7, 1.5e-5, 1e16, 0.1, -2.5e-9, float("inf"))] == [
        "1e-7",
        "0.000015",
        "1e+16",
        "0.1",
        "-2.5e-9",
        "null",
    ]


@pytest.mark.parametrize("value", [object(), {(1, 2): 1}, dt.time(1, tzinfo=dt.UTC), 1.5j])
def test_refuses_what_orjsons_path_refuses(value: Any) -> None:
    for dumps in (jsonstd.dumps, jsonfast.dumps):
        with pytest.raises(UnencodableContent):
            dumps(value)


def test_loads_refuses_nan_and_repairs_bytes_that_are_not_utf8() -> None:
    for loads in (jsonstd.loads, jsonfast.loads):
        with pytest.raises(ValueError):
            loads(b"[NaN]")
        assert loads(b'"caf\xe9"') == "caf\ufffd"


def test_jsonutil_uses_orjson_where_it_is_installed() -> None:
    assert jsonutil.ENCODER == "orjson"
    assert jsonutil.dumps is jsonfast.dumps
