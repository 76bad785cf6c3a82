"""Failure modes stay quiet and bounded: an unsigned kernel says so once, a flood of rejected messages
is not a flood of log lines, and a client that sends requests faster than the kernel answers them is
pushed back instead of filling the kernel's memory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
import pytest
import zmq
from jupyter_client.session import Session

from tests.protocol.kernel_client import RawChannel, RunningKernel

pytestmark = pytest.mark.timeout(180)

MB = 1 << 20


def test_an_empty_key_is_warned_about_once(start_kernel: Callable[..., RunningKernel]) -> None:
    kernel = start_kernel(session=Session(key=b""))
    assert kernel.value("'unsigned but serving'") == "'unsigned but serving'"
    kernel.wait_for_log(r"key is empty: messages are not signed")
    assert len([line for line in kernel.log_text().splitlines() if "key is empty" in line]) == 1


def test_a_flood_of_rejected_messages_logs_a_bounded_number_of_lines(fresh_kernel: RunningKernel) -> None:
    raw = RawChannel(fresh_kernel)
    try:
        for i in range(300):
            frames = raw.frames(raw.message("execute_request", {"code": f"flood_{i} = 1"}))
            frames[1] = b"0" * len(frames[1])  # a signature that does not match
            raw.send_frames(frames)
        # Handled in order after the forged ones: once it is answered, all of them were rejected.
        assert raw.wait_reply(raw.send("kernel_info_request", {})) is not None
    finally:
        raw.close()
    lines = fresh_kernel.log_text().splitlines()
    rejected = [line for line in lines if "rejected a message" in line]
    assert 1 <= len(rejected) <= 10, f"{len(rejected)} lines for 300 rejected messages"
    assert any("suppressed and counted" in line for line in lines), lines
    assert fresh_kernel.value("'flood_0' in globals()") == "False"


def test_a_client_flooding_requests_is_pushed_back(fresh_kernel: RunningKernel, tmp_path: Path) -> None:
    """While a cell blocks the main thread, a client sends 30,000 requests (4 KiB each) without
    waiting for answers.  The kernel takes 4,096 of them, then stops reading its shell socket until
    it has answered some: ZeroMQ's queues fill and the client's sends would block.  The kernel used
    to take them all (~300 MB)."""
    flag = tmp_path / "release"
    blocker = fresh_kernel.execute_request(
        "import os, time\nprint('blocking', flush=True)\n"
        f"while not os.path.exists({str(flag)!r}): time.sleep(0.01)"
    )
    fresh_kernel.stream_until(blocker, "blocking")
    process = psutil.Process(fresh_kernel.pid)
    before = process.memory_info().rss
    raw = RawChannel(fresh_kernel)
    sent, pushed_back = 0, False
    padding = "#" + "x" * 4096 + "\n"
    try:
        while sent < 30_000:
            frames = raw.frames(raw.message("execute_request", {"code": padding + "pass", "silent": True}))
            try:
                raw.sock.send_multipart(frames, zmq.NOBLOCK)
                sent += 1
            except zmq.Again:
                if not raw.sock.poll(3000, zmq.POLLOUT):  # the kernel stopped reading
                    pushed_back = True
                    break
        growth = process.memory_info().rss - before
    finally:
        flag.write_text("go")
        raw.close()
    assert pushed_back, f"the kernel took all {sent} requests sent without waiting for answers"
    assert growth < 150 * MB, f"{sent} unanswered requests cost {growth // MB} MB"
    assert fresh_kernel.kernel_info()["implementation"] == "braid-kernel"  # reading again


def test_a_client_flooding_control_requests_is_pushed_back(fresh_kernel: RunningKernel) -> None:
    """The control thread answers one request at a time.  With SIGINT blocked in the main thread,
    each interrupt_request holds it for 2 s (the interrupter waits that long for its handler),
    while a client sends interrupt requests without waiting for answers.  The kernel takes 1,024,
    says so, and stops reading the control socket until it has answered some: ZeroMQ's queues
    fill and the client's sends would block.  The kernel used to take them all."""
    k = fresh_kernel
    k.run("import signal\nsignal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})")
    raw = RawChannel(k, "control")
    sent, pushed_back = 0, False
    padding = "x" * 4096
    try:
        while sent < 30_000:
            frames = raw.frames(raw.message("interrupt_request", {"padding": padding}))
            try:
                raw.sock.send_multipart(frames, zmq.NOBLOCK)
                sent += 1
            except zmq.Again:
                if not raw.sock.poll(3000, zmq.POLLOUT):  # the kernel stopped reading
                    pushed_back = True
                    break
        k.wait_for_log(r"1024 control requests not answered yet: no more are read", timeout=30)
    finally:
        raw.close()
    assert pushed_back, f"the kernel took all {sent} control requests sent without waiting for answers"
    # What is queued would take 2 s a request: the kernel is shut down instead.  The shell channel
    # is not held up meanwhile.
    assert k.kernel_info()["implementation"] == "braid-kernel"


def test_a_cell_displaying_in_a_loop_does_not_make_the_kernel_hold_its_output(
    fresh_kernel: RunningKernel,
) -> None:
    """50,000 display messages published as fast as a cell can: the cell waits while 64 of them
    are still to be sent (transport.outbox's backpressure) instead of queueing them all (the
    kernel's peak RSS grew ~145 MB without it)."""

    # Replies only: the client does not read IOPub meanwhile, whose messages ZeroMQ then drops
    # (its high-water mark), as for any subscriber that falls behind.
    def reply(code: str, **content: object) -> dict[str, Any]:
        msg_id = fresh_kernel.execute_request(code, **content)
        answer: dict[str, Any] = fresh_kernel.reply(msg_id, "shell", 120)["content"]
        assert answer["status"] == "ok", answer
        return answer

    reply("import resource\n_peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss")
    reply("_pub = get_ipython().display_pub\nfor _i in range(50_000):\n    _pub.publish({'text/plain': 'x'})")
    grown = reply(
        "pass", user_expressions={"kib": "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - _peak_before"}
    )
    grown_kib = int(grown["user_expressions"]["kib"]["data"]["text/plain"])
    assert grown_kib < 30 * 1024, f"peak RSS grew {grown_kib / 1024:.0f} MB"
