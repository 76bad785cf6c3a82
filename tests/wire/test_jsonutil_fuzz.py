"""Fuzzing the wire's JSON encoder: whatever text user code produces, the message goes out.

Random JSON-shaped values — any unicode including lone surrogates and NUL, very long lines,
integers of any size, non-finite floats, nesting down to the limit — either round-trip through
a client's decoder (the standard library's, as jupyter_client's) or come back with each lone
surrogate replaced by U+FFFD.  The encoder never raises for them, and refuses what is deeper
than the limit or not JSON-shaped with its own error, never another one.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from braid_kernel.errors import UnencodableContent
from braid_kernel.wire import jsonfast, jsonstd, jsonutil
from braid_kernel.wire.codec import WireCodec
from braid_kernel.wire.signing import Signer


class _Colour(enum.Enum):
    RED = "red"
    SEVEN = 7


FUZZ = settings(max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

# Surrogates (category Cs) are excluded by default; ask for every code point, and make the
# troublesome ones frequent.
_ANY_CHAR = st.characters(exclude_categories=())
_TRICKY_CHAR = st.sampled_from(
    ["\x00", "\udce9", "\ud83d", "\ude00", "\ud83d\ude00", "\n", "\u2028", '"', "\\"]
)
_TEXT = st.lists(_ANY_CHAR | _TRICKY_CHAR, max_size=40).map("".join)
_LONG_TEXT = st.builds(lambda unit, times: unit * times, _TEXT, st.integers(1000, 20000))
_LEAF = (
    st.none()
    | st.booleans()
    | st.integers()  # beyond 64 bits too
    | st.floats()  # NaN and infinities too
    | _TEXT
    | _LONG_TEXT
)
_VALUE = st.recursive(
    _LEAF,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(_TEXT, inner, max_size=5),
    max_leaves=30,
)


def expected_text(text: str) -> str:
    """``text`` with each lone surrogate replaced by U+FFFD and each pair joined (an oracle
    written apart from the encoder's own repair)."""
    out, i = [], 0
    while i < len(text):
        char = text[i]
        nxt = text[i + 1] if i + 1 < len(text) else ""
        if "\ud800" <= char <= "\udbff" and "\udc00" <= nxt <= "\udfff":
            out.append(chr(0x10000 + ((ord(char) - 0xD800) << 10) + (ord(nxt) - 0xDC00)))
            i += 2
            continue
        out.append("\ufffd" if "\ud800" <= char <= "\udfff" else char)
        i += 1
    return "".join(out)


def expected(value: Any) -> Any:
    """What a client decodes for ``value``."""
    if isinstance(value, str):
        return expected_text(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None  # orjson writes null, as JSON has no NaN
    if isinstance(value, list):
        return [expected(v) for v in value]
    if isinstance(value, dict):
        return {expected_text(k): expected(v) for k, v in value.items()}
    return value


def decoded(data: bytes) -> Any:
    return json.loads(data.decode("utf-8"))  # strict UTF-8: a surrogate left in would fail here


def nest(depth: int, leaf: Any, dicts: bool) -> Any:
    for level in range(depth):
        leaf = {f"k{level}": leaf} if dicts and level % 2 else [leaf]
    return leaf


@FUZZ
@given(_VALUE)
def test_any_json_shaped_value_round_trips_or_is_replaced(value: Any) -> None:
    assert decoded(jsonutil.dumps(value)) == expected(value)


@FUZZ
@given(st.dictionaries(_TEXT, _TEXT, max_size=8), _TEXT)
def test_a_message_with_any_text_encodes_and_a_client_decodes_it(data: dict[str, str], text: str) -> None:
    kernel, client = WireCodec(Signer(b"k"), "kernel"), WireCodec(Signer(b"k"), "client")
    content = {"data": data, "metadata": {text: text}}
    msg = client.decode(kernel.encode("display_data", content, {"msg_id": text}))
    assert msg.content == expected(content)
    assert msg.parent_header == {"msg_id": expected_text(text)}


@FUZZ
@given(st.integers(0, jsonutil.MAX_DEPTH - 1), _TEXT, st.booleans())
def test_nesting_down_to_the_limit_round_trips(depth: int, text: str, dicts: bool) -> None:
    value = nest(depth, text, dicts)
    assert decoded(jsonutil.dumps(value)) == expected(value)


@pytest.mark.parametrize("dicts", [False, True])
def test_nesting_at_the_limit_round_trips_and_deeper_is_refused(dicts: bool) -> None:
    at_limit = nest(jsonutil.MAX_DEPTH, "caf\udce9", dicts)
    assert decoded(jsonutil.dumps(at_limit)) == expected(at_limit)
    for too_deep in (nest(jsonutil.MAX_DEPTH + 1, "caf\udce9", dicts), nest(5000, 1, dicts)):
        with pytest.raises(UnencodableContent, match="nested deeper"):
            jsonutil.dumps(too_deep)


def test_a_self_referencing_value_is_refused_with_the_codecs_own_error() -> None:
    loop: list[Any] = ["caf\udce9"]
    loop.append(loop)
    with pytest.raises(UnencodableContent):
        jsonutil.dumps({"data": loop})


@FUZZ
@given(_VALUE)
def test_an_unknown_object_anywhere_is_refused_with_the_codecs_own_error(value: Any) -> None:
    with pytest.raises(UnencodableContent, match="not JSON serializable"):
        jsonutil.dumps({"v": value, "x": [object()]})


# ------------------------------------------------------------ the standard library's encoder
# Where orjson cannot be installed (Pyodide) jsonstd encodes: the same message must be the same
# bytes on the wire, whichever encoder wrote it.
_KEY = (
    _TEXT
    | st.integers()  # beyond 64 bits too (the repair pass writes their digits)
    | st.floats()
    | st.booleans()
    | st.none()
    | st.datetimes(timezones=st.none() | st.just(dt.UTC))
    | st.dates()
)
_RICH_LEAF = (
    _LEAF
    | st.floats(min_value=-1e-4, max_value=1e-4)  # where orjson's notation differs from repr
    | st.binary(max_size=20)
    | st.datetimes(timezones=st.none() | st.just(dt.UTC) | st.timezones())
    | st.dates()
    # whole seconds: orjson 3.13 writes time(0, 0, 0, 10000) as "00:00:00.10000" (a bug not copied)
    | st.times().map(lambda t: t.replace(microsecond=0))
    | st.uuids()
    | st.sampled_from(list(_Colour))
    | st.frozensets(st.integers(-5, 5), max_size=3)
)
_MESSAGE = st.recursive(
    _RICH_LEAF,
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.lists(inner, max_size=3).map(tuple)
        | st.dictionaries(_KEY, inner, max_size=5)
    ),
    max_leaves=30,
)


@FUZZ
@given(_MESSAGE)
def test_the_standard_library_encoder_writes_the_bytes_orjson_writes(value: Any) -> None:
    assert jsonstd.dumps(value) == jsonfast.dumps(value)


@FUZZ
@given(st.floats())
def test_every_float_is_written_in_orjsons_notation(value: float) -> None:
    assert jsonstd.dumps([value]) == jsonfast.dumps([value])


@FUZZ
@given(_VALUE)
def test_both_decoders_read_what_either_encoder_wrote(value: Any) -> None:
    data = jsonfast.dumps({"content": value})
    assert jsonstd.loads(data) == jsonfast.loads(data)


@FUZZ
@given(st.integers(0, jsonutil.MAX_DEPTH + 3), _TEXT, st.booleans())
def test_both_encoders_refuse_the_same_nesting(depth: int, text: str, dicts: bool) -> None:
    value = nest(depth, text, dicts)
    if depth > jsonutil.MAX_DEPTH:
        for encoder in (jsonstd.dumps, jsonfast.dumps):
            with pytest.raises(UnencodableContent, match="nested deeper"):
                encoder(value)
    else:
        assert jsonstd.dumps(value) == jsonfast.dumps(value)


@FUZZ
@given(_VALUE)
def test_both_encoders_refuse_an_unknown_object(value: Any) -> None:
    for encoder in (jsonstd.dumps, jsonfast.dumps):
        with pytest.raises(UnencodableContent, match="not JSON serializable"):
            encoder({"v": value, "x": [object()]})
