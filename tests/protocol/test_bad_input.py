"""Bad input on the shell socket, crafted frame by frame on a raw DEALER socket.

Each bad message must be rejected (no reply, and a line in the kernel's log) or answered with an
error reply; it must never run code; and the kernel must then answer the next good execute_request.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.protocol.kernel_client import Msg, RawChannel, RunningKernel

pytestmark = pytest.mark.timeout(120)

DELIMITER = b"<IDS|MSG>"
QUIET = 1.5  # seconds to wait for a reply that must not come


def _execute(code: str) -> Msg:
    return {
        "code": code,
        "silent": False,
        "store_history": True,
        "user_expressions": {},
        "allow_stdin": False,
        "stop_on_error": True,
    }


@pytest.fixture
def target(fresh_kernel: RunningKernel) -> RunningKernel:
    fresh_kernel.run("bad_input_runs = []")
    return fresh_kernel


@pytest.fixture
def raw(target: RunningKernel) -> Iterator[RawChannel]:
    channel = RawChannel(target)
    yield channel
    channel.close()


def _assert_rejected_or_error(
    kernel: RunningKernel, channel: RawChannel, msg_id: str, log_pattern: str
) -> None:
    channel.collect(QUIET)
    replies = channel.replies_to(msg_id)
    if replies:
        assert all(r["content"].get("status") == "error" for r in replies), [r["content"] for r in replies]
    else:
        kernel.wait_for_log(log_pattern)


def _assert_serves_and_ran(kernel: RunningKernel, runs: str) -> None:
    assert kernel.is_alive(), "bad input killed the kernel"
    assert kernel.value("bad_input_runs") == runs


@pytest.mark.parametrize("key", [b"not-the-kernel-key", b""], ids=["wrong_key", "unsigned"])
def test_message_with_a_wrong_signature_is_rejected(target: RunningKernel, key: bytes) -> None:
    forger = RawChannel(target, key=key)
    try:
        msg_id = forger.send("execute_request", _execute("bad_input_runs.append('forged')"))
        _assert_rejected_or_error(target, forger, msg_id, r"signature|unsigned|invalid|reject")
    finally:
        forger.close()
    _assert_serves_and_ran(target, "[]")


def test_replayed_message_runs_only_once(target: RunningKernel, raw: RawChannel) -> None:
    msg = raw.message("execute_request", _execute("bad_input_runs.append('replayed')"))
    frames = raw.frames(msg)
    raw.send_frames(frames)
    assert raw.wait_reply(msg["header"]["msg_id"]) is not None, "the original message got no reply"
    raw.send_frames(frames)
    raw.collect(QUIET)
    replies = raw.replies_to(msg["header"]["msg_id"])
    assert [r["content"]["status"] for r in replies] in (["ok"], ["ok", "error"]), replies
    if len(replies) == 1:
        target.wait_for_log(r"replay|duplicate")
    _assert_serves_and_ran(target, "['replayed']")


TRUNCATIONS = {
    "four_frames_after_delimiter": lambda f: f[:5],
    "two_frames_after_delimiter": lambda f: f[:3],
    "only_the_delimiter": lambda f: f[:1],
    "no_delimiter": lambda f: f[2:],
    "empty_frame": lambda f: [b""],
}


@pytest.mark.parametrize("cut", list(TRUNCATIONS))
def test_truncated_frames_are_rejected(target: RunningKernel, raw: RawChannel, cut: str) -> None:
    msg = raw.message("execute_request", _execute("bad_input_runs.append('truncated')"))
    frames = raw.frames(msg)
    assert frames[0] == DELIMITER and len(frames) == 6
    raw.send_frames(TRUNCATIONS[cut](frames))
    _assert_rejected_or_error(
        target, raw, msg["header"]["msg_id"], r"reject|malformed|invalid|delimiter|frame"
    )
    _assert_serves_and_ran(target, "[]")


def test_invalid_json_in_a_signed_content_frame_is_rejected(target: RunningKernel, raw: RawChannel) -> None:
    msg = raw.message("execute_request", _execute("bad_input_runs.append('json')"))
    _, _, header, parent, metadata, _ = raw.frames(msg)
    content = b'{"code": "bad_input_runs.append(\'json\')", "silent": fal'
    signature = raw.session.sign([header, parent, metadata, content])
    raw.send_frames([DELIMITER, signature, header, parent, metadata, content])
    _assert_rejected_or_error(target, raw, msg["header"]["msg_id"], r"json|decode|invalid|reject")
    _assert_serves_and_ran(target, "[]")


def test_unknown_msg_type_is_rejected_or_answered_with_an_error(
    target: RunningKernel, raw: RawChannel
) -> None:
    msg_id = raw.send("braid_bogus_message", {"code": "bad_input_runs.append('bogus')"})
    _assert_rejected_or_error(target, raw, msg_id, r"unknown|braid_bogus_message")
    _assert_serves_and_ran(target, "[]")


@pytest.mark.slow
def test_fifty_megabyte_message_is_handled_and_the_kernel_keeps_serving(
    target: RunningKernel, raw: RawChannel
) -> None:
    code = "# " + "x" * (50 * 1024 * 1024) + "\nbad_input_runs.append('big')"
    msg_id = raw.send("execute_request", _execute(code))
    reply = raw.wait_reply(msg_id, timeout=60)
    if reply is None:
        target.wait_for_log(r"too large|exceed|size|limit")
        _assert_serves_and_ran(target, "[]")
    elif reply["content"]["status"] == "ok":
        print("the 50 MB execute_request was accepted and ran")
        _assert_serves_and_ran(target, "['big']")
    else:
        assert reply["content"]["status"] == "error", reply["content"]
        _assert_serves_and_ran(target, "[]")


@pytest.mark.slow
def test_message_over_the_size_limit_is_rejected(target: RunningKernel, raw: RawChannel) -> None:
    code = "# " + "x" * (80 * 1024 * 1024) + "\nbad_input_runs.append('huge')"
    msg_id = raw.send("execute_request", _execute(code))
    # The frame is refused by ZeroMQ as its size arrives (MAXMSGSIZE): the sender is disconnected
    # before anything is buffered, so the kernel has nothing to log.
    raw.collect(QUIET)
    assert all(r["content"]["status"] == "error" for r in raw.replies_to(msg_id)), raw.replies_to(msg_id)
    _assert_serves_and_ran(target, "[]")
