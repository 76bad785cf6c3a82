"""Supervised kernel threads: a failure is logged and the loop restarts; a loop that keeps
failing is given up and reported, never left dead in silence."""

from __future__ import annotations

import json
import logging
import pathlib
import threading
from collections.abc import Iterator

import pytest
import zmq

from braid_kernel.transport import zmq_io
from braid_kernel.transport.heartbeat import Heartbeat
from braid_kernel.transport.outbox import Frames, Outbox, Outgoing
from braid_kernel.transport.supervisor import MAX_FAILURES, Lifeline, supervise
from braid_kernel.wire.channels import Channel
from braid_kernel.wire.codec import WireCodec
from braid_kernel.wire.connection import ConnectionInfo
from braid_kernel.wire.signing import Signer

PARENT = {"msg_id": "cell-1", "msg_type": "execute_request"}


class Flaky:
    """A loop body that fails ``times`` times, then returns."""

    def __init__(self, times: int) -> None:
        self.left = times
        self.calls = 0

    def __call__(self) -> None:
        self.calls += 1
        if self.left:
            self.left -= 1
            raise RuntimeError(f"failure {self.calls}")


# ------------------------------------------------------------ supervise (pure)
def test_a_failing_loop_is_logged_and_restarted(caplog: pytest.LogCaptureFixture) -> None:
    body, reasons = Flaky(2), list[str]()
    with caplog.at_level(logging.ERROR, "braid_kernel.supervisor"):
        supervise("test", body, reasons.append)
    assert body.calls == 3
    assert reasons == []
    assert [r.getMessage() for r in caplog.records] == ["the kernel's test thread failed; restarting it"] * 2
    assert all(r.exc_info is not None for r in caplog.records)


def test_a_loop_that_keeps_failing_is_given_up_with_a_reason() -> None:
    body, reasons = Flaky(100), list[str]()
    supervise("test", body, reasons.append)
    assert body.calls == MAX_FAILURES + 1
    assert len(reasons) == 1
    assert "test thread failed 6 times" in reasons[0]
    assert "RuntimeError: failure 6" in reasons[0]


def test_failures_far_apart_never_exhaust_the_budget() -> None:
    now = [0.0]

    def clock() -> float:
        now[0] += 100.0  # each failure 100 s after the last, outside the 60 s window
        return now[0]

    body, reasons = Flaky(20), list[str]()
    supervise("test", body, reasons.append, clock=clock)
    assert body.calls == 21
    assert reasons == []


def test_even_a_base_exception_does_not_end_the_thread_unreported() -> None:
    calls = []

    def body() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise SystemExit(3)

    supervise("test", body, lambda reason: None)
    assert len(calls) == 2


def test_lifeline_hands_failures_reported_before_connect_to_the_handler() -> None:
    lifeline, seen = Lifeline(), list[str]()
    lifeline.give_up("early")
    assert seen == []
    lifeline.connect(seen.append)
    lifeline.give_up("late")
    assert seen == ["early", "late"]


# ------------------------------------------------------------ the I/O thread
class _Rig:
    def __init__(self, ctx: zmq.Context[zmq.Socket[bytes]], info: ConnectionInfo) -> None:
        self.reasons: list[str] = []
        self.gave_up = threading.Event()
        self.outbox = Outbox()
        codec = WireCodec(Signer(b""), "s", "u")
        self.io = zmq_io.IOThread(ctx, info, codec, self.outbox, lambda ch, fr: None, on_give_up=self.give_up)
        self.sub = ctx.socket(zmq.SUB)

    def give_up(self, reason: str) -> None:
        self.reasons.append(reason)
        self.gave_up.set()

    def texts(self, count: int) -> list[str]:
        """The text of the next ``count`` stream messages on IOPub."""
        out: list[str] = []
        while len(out) < count:
            assert self.sub.poll(10_000), f"IOPub went quiet after {out}"
            frames = self.sub.recv_multipart()
            at = frames.index(b"<IDS|MSG>")
            if json.loads(frames[at + 2])["msg_type"] == "stream":
                out.append(json.loads(frames[at + 5])["text"])
        return out


@pytest.fixture
def rig(tmp_path: pathlib.Path) -> Iterator[_Rig]:
    info = ConnectionInfo("ipc", str(tmp_path / "k"), 1, 2, 3, 4, 5, b"")
    ctx: zmq.Context[zmq.Socket[bytes]] = zmq.Context()
    rig = _Rig(ctx, info)
    rig.io.start()
    sub = rig.sub
    sub.subscribe(b"")
    sub.connect(info.endpoint("iopub"))
    try:
        assert sub.poll(5000), "no iopub_welcome"
        sub.recv_multipart()
        yield rig
    finally:
        sub.close(linger=0)
        rig.io.stop()
        ctx.term()


def _failing_send(rig: _Rig, marker: bytes, once: bool) -> None:
    real = rig.io._send

    def send(channel: Channel, frames: Frames) -> None:
        if marker in frames[-1]:
            if once:
                del rig.io._send  # back to the real method
            raise RuntimeError("broken on purpose")
        real(channel, frames)

    rig.io._send = send  # type: ignore[method-assign]


def test_the_io_loop_restarts_and_sends_what_was_queued_behind_the_failure(rig: _Rig) -> None:
    _failing_send(rig, b"boom", once=True)
    for text in ("before\n", "boom\n", "after\n"):
        rig.outbox.post(Outgoing(Channel.IOPUB, "stream", {"name": "stdout", "text": text}, PARENT))
    assert rig.texts(2) == ["before\n", "after\n"]  # only the message being sent is lost
    rig.outbox.stream(PARENT, "stdout", "later\n")
    assert rig.texts(1) == ["later\n"]
    assert rig.reasons == []


def test_an_io_loop_that_keeps_failing_is_given_up_and_reported(rig: _Rig) -> None:
    _failing_send(rig, b"text", once=False)  # every stream message fails
    for i in range(MAX_FAILURES + 1):
        rig.outbox.post(Outgoing(Channel.IOPUB, "stream", {"name": "stdout", "text": f"{i}"}, PARENT))
    assert rig.gave_up.wait(10)
    assert "I/O thread failed 6 times" in rig.reasons[0]


# ------------------------------------------------------------ the heartbeat
def test_a_failed_heartbeat_proxy_is_restarted(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_proxy, failures = zmq.proxy, [zmq.ZMQError(zmq.EFAULT, "broken on purpose")]

    def flaky_proxy(frontend: zmq.Socket[bytes], backend: zmq.Socket[bytes]) -> None:
        if failures:
            raise failures.pop()
        real_proxy(frontend, backend)

    monkeypatch.setattr(zmq, "proxy", flaky_proxy)
    info = ConnectionInfo("ipc", str(tmp_path / "k"), 1, 2, 3, 4, 5, b"")
    ctx: zmq.Context[zmq.Socket[bytes]] = zmq.Context()
    reasons: list[str] = []
    heartbeat = Heartbeat(ctx, info, on_give_up=reasons.append)
    heartbeat.start()
    ping = ctx.socket(zmq.REQ)
    try:
        ping.connect(info.endpoint("hb"))
        ping.send(b"ping")
        assert ping.poll(10_000), "the heartbeat did not echo after its proxy failed"
        assert ping.recv() == b"ping"
        assert failures == []
        assert reasons == []
    finally:
        ping.close(linger=0)
        ctx.term()  # ends the proxy: the heartbeat thread closes its socket
