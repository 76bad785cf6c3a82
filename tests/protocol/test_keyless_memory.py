"""What a peer without the key can make a kernel hold in memory, measured on a real kernel process.

Each attack comes from a raw ZeroMQ client that does not know the key.  The kernel's peak resident
memory is measured (``VmHWM``, reset through ``/proc/<pid>/clear_refs`` just before the attack, so a
transient copy counts as much as a lasting one), and each attack is followed by a message that can
only be handled once the attack has been: the peak is read after that.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest
import zmq

from tests.protocol.kernel_client import RawChannel, RunningKernel

pytestmark = [
    pytest.mark.timeout(180),
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="peak RSS is read from /proc"),
]

MB = 1 << 20
KEYLESS_BOUND = 50 * MB  # what one keyless attack may add to the kernel's peak memory


class PeakMemory:
    """The kernel's peak RSS growth since :meth:`reset` (Linux: VmHWM, reset via clear_refs)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.base = 0

    def reset(self) -> None:
        Path(f"/proc/{self.pid}/clear_refs").write_text("5")  # peak RSS := current RSS
        self.base = psutil.Process(self.pid).memory_info().rss

    def growth(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024 - self.base
        raise AssertionError("no VmHWM in /proc status")


@pytest.fixture
def peak(kernel: RunningKernel) -> PeakMemory:
    kernel.kernel_info()  # quiet before the measurement starts
    meter = PeakMemory(kernel.pid)
    meter.reset()
    return meter


@pytest.fixture
def raw(kernel: RunningKernel) -> Iterator[RawChannel]:
    channel = RawChannel(kernel)
    channel.sock.reconnect_ivl = 10  # the kernel drops an attacker's connection: be back soon
    yield channel
    channel.close()


def _answered_after(channel: RawChannel) -> None:
    """Wait until the kernel answers a kernel_info_request sent on ``channel`` after the attack.

    Messages on one connection are handled in order, so the reply proves the attack was handled.
    A kernel that drops the attacker's connection may drop this request with it: it is re-sent.
    """
    for _ in range(10):
        if channel.wait_reply(channel.send("kernel_info_request", {}), timeout=5) is not None:
            return
    pytest.fail("the kernel did not answer after the attack")


def test_an_oversized_unsigned_message_is_refused_before_it_is_held(
    kernel: RunningKernel, raw: RawChannel, peak: PeakMemory
) -> None:
    raw.send_frames([b"<IDS|MSG>", b"", b"{}", b"{}", b"{}", b"x" * (150 * MB)])
    _answered_after(raw)
    assert peak.growth() < KEYLESS_BOUND, f"a 150 MiB unsigned message cost {peak.growth() // MB} MB"
    assert kernel.value("'still serving'") == "'still serving'"


def test_a_million_tiny_frames_are_dropped_without_being_built(
    kernel: RunningKernel, raw: RawChannel, peak: PeakMemory
) -> None:
    """libzmq holds a multipart message's frames (a 64-byte ``msg_t`` each) until all of it has
    arrived, and no socket option limits their number (see ``transport.limits``): that share
    (~64 MB here) is beyond the kernel's reach, so this peak bound is libzmq's plus 16 MB, not 50 MB.
    The kernel must not add to it (it used to build the million frames into a list: +120 MB); what
    stays after the drop is the next test's concern."""
    raw.send_frames([b"xy"] * 1_000_000)
    _answered_after(raw)
    libzmq_share = 64 * 1_000_000
    assert peak.growth() < libzmq_share + 16 * MB, f"a million frames cost {peak.growth() // MB} MB"
    kernel.wait_for_log(r"dropped a message on shell: message of 1000001 frames")  # and the identity


def test_the_memory_a_dropped_message_held_goes_back_to_the_system(fresh_kernel: RunningKernel) -> None:
    """The ~64 MB libzmq held for a million frames is free once the kernel has dropped them, but the
    C heap kept it (the kernel stayed ~70 MB larger for good): it is returned to the system before
    the drop is logged."""
    k = fresh_kernel
    # What the background warm-up would load (the traceback formatter, jedi) is loaded first, so it
    # does not land in the measurement.
    assert k.execute("1 / 0").status == "error"
    k.run("import jedi")
    process = psutil.Process(k.pid)
    before = process.memory_info().rss
    raw = RawChannel(k)
    try:
        raw.send_frames([b"xy"] * 1_000_000)
        k.wait_for_log(r"dropped a message on shell: message of 1000001 frames", timeout=120)
        growth = process.memory_info().rss - before
    finally:
        raw.close()
    assert growth < 16 * MB, f"a million frames, dropped, left the kernel {growth // MB} MB larger"
    assert k.value("'still serving'") == "'still serving'"


_SUBSCRIBER = textwrap.dedent(
    """
    import os, sys, zmq
    sock = zmq.Context().socket(zmq.SUB)
    monitor = sock.get_monitor_socket(zmq.EVENT_DISCONNECTED)
    sock.setsockopt(zmq.SUBSCRIBE, b"t" * int(sys.argv[2]))
    sock.connect(sys.argv[1])
    poller = zmq.Poller()
    poller.register(sock, zmq.POLLIN)
    poller.register(monitor, zmq.POLLIN)
    events = dict(poller.poll(60_000))
    print("welcomed" if sock in events else "dropped" if monitor in events else "nothing", flush=True)
    # No cleanup: libzmq frees a long subscription recursively, one stack frame per byte of it.
    os._exit(0)
    """
)


def test_a_long_iopub_topic_costs_nothing(kernel: RunningKernel, peak: PeakMemory) -> None:
    """A 2 MiB subscription cost ~99 MB (ZeroMQ's subscription trie, and the welcome message
    carrying the topic).  It runs in a child process: see its last comment."""
    done = subprocess.run(
        [sys.executable, "-c", _SUBSCRIBER, kernel.connection_endpoint("iopub"), str(2 * MB)],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert done.stdout.strip() in ("welcomed", "dropped"), done.stdout + done.stderr
    kernel.kernel_info()
    assert peak.growth() < KEYLESS_BOUND, f"a 2 MiB IOPub topic cost {peak.growth() // MB} MB"
    assert kernel.value("'still serving'") == "'still serving'"


def test_a_flood_of_subscriptions_is_absorbed(kernel: RunningKernel, peak: PeakMemory) -> None:
    """A million subscription messages on one connection: the kernel used to welcome each one, so
    its I/O thread answered nothing else for half a minute, and grew by ~200 MB."""
    flood = zmq.Context.instance().socket(zmq.XSUB)
    flood.linger, flood.sndhwm = 0, 0  # queue them all here: the sends never block
    try:
        flood.connect(kernel.connection_endpoint("iopub"))
        for _ in range(1_000_000):
            flood.send(b"\x01")
        assert kernel.kernel_info()["implementation"] == "braid-kernel"
        assert peak.growth() < KEYLESS_BOUND, f"a subscription flood cost {peak.growth() // MB} MB"
    finally:
        flood.close()


def test_large_heartbeat_pings_are_refused(kernel: RunningKernel, peak: PeakMemory) -> None:
    """A hundred peers each send two 1 MiB pings and read nothing: the kernel used to keep the
    echoes that did not fit in the peers' queues (~100 MB).  Each peer waits for its first echo
    or for the kernel to drop it, whichever comes."""
    ctx = zmq.Context.instance()
    peers: list[tuple[zmq.Socket[bytes], zmq.Socket[bytes]]] = []
    try:
        for _ in range(100):
            sock = ctx.socket(zmq.DEALER)
            sock.linger, sock.reconnect_ivl = 0, -1
            sock.rcvhwm, sock.rcvbuf = 1, 4096  # read nothing: echoes would pile up in the kernel
            peers.append((sock, sock.get_monitor_socket(zmq.EVENT_DISCONNECTED)))
            sock.connect(kernel.connection_endpoint("hb"))
            for payload in (b"p" * MB, b"q" * MB):  # once dropped, a peer has no one to send to
                with contextlib.suppress(zmq.Again):
                    sock.send_multipart([b"", payload], zmq.NOBLOCK)
        poller = zmq.Poller()
        for sock, monitor in peers:
            poller.register(sock, zmq.POLLIN)
            poller.register(monitor, zmq.POLLIN)
        settled: set[zmq.Socket[bytes]] = set()
        deadline = time.monotonic() + 60
        while len(settled) < len(peers) and time.monotonic() < deadline:
            for ready, _ in poller.poll(1000):
                settled.add(ready if ready in dict(peers) else _peer_of(ready, peers))
                poller.unregister(ready)
        assert len(settled) == len(peers), f"{len(peers) - len(settled)} pings neither echoed nor refused"
        assert peak.growth() < KEYLESS_BOUND, f"200 pings of 1 MiB cost {peak.growth() // MB} MB"
    finally:
        for sock, monitor in peers:
            monitor.close()
            sock.close()
    assert kernel.heartbeat_echo()


def _peer_of(
    monitor: zmq.Socket[bytes], peers: list[tuple[zmq.Socket[bytes], zmq.Socket[bytes]]]
) -> zmq.Socket[bytes]:
    return next(sock for sock, mon in peers if mon is monitor)


LINES, GATE_EVERY = 450, 50  # the cell prints LINES lines of 1 MiB, waiting for the reader every GATE_EVERY


def test_a_subscriber_that_never_reads_costs_a_bounded_queue(
    fresh_kernel: RunningKernel, tmp_path: Path
) -> None:
    """A cell prints 450 MB while one IOPub subscriber reads everything and another reads nothing.

    The reader gets every byte; the kernel keeps 4096 messages of 32 Ki characters queued for the
    other (see ``transport.limits``): it used to keep all of it (+900 MB, with a copy made to
    coalesce it).
    The test client's own IOPub channel is stopped: it would be a third, slower, subscriber.  The
    cell waits (on a FIFO) for the reader to have received each 50 MB it printed: the reader is
    then never more than ~1,600 messages behind, so its own queue (4096) never fills however
    slowly this process is scheduled, while the stalled subscriber's fills and overflows.
    """
    fifo = tmp_path / "gate"
    os.mkfifo(fifo)
    fresh_kernel.kc.stop_channels()
    ctx = zmq.Context.instance()
    stalled, reader = ctx.socket(zmq.SUB), ctx.socket(zmq.SUB)
    stalled.rcvhwm, stalled.rcvbuf = 1, 4096
    reader.rcvhwm = 0  # its ZeroMQ thread takes everything the kernel sends
    shell = RawChannel(fresh_kernel)
    gate: int | None = None
    try:
        for sock in (stalled, reader):
            sock.linger = 0
            sock.subscribe(b"")
            sock.connect(fresh_kernel.connection_endpoint("iopub"))
            assert sock.poll(20_000), "no iopub_welcome"
        peak = PeakMemory(fresh_kernel.pid)
        peak.reset()
        code = (
            f"import os, sys\ngate = os.open({str(fifo)!r}, os.O_RDONLY)\nline = 'x' * (1 << 20)\n"
            f"for i in range({LINES}):\n    print(line)\n"
            f"    if i % {GATE_EVERY} == {GATE_EVERY - 1}:\n"
            "        sys.stdout.flush()\n        os.read(gate, 1)\n"
            "os.close(gate)"
        )
        msg_id = shell.send("execute_request", {"code": code, "silent": False})
        gate = os.open(fifo, os.O_WRONLY)  # returns once the cell has opened its end
        received = opened = 0
        while True:
            assert reader.poll(60_000), "the reading subscriber stopped receiving"
            frames = reader.recv_multipart()
            at = frames.index(b"<IDS|MSG>")
            if msg_id.encode() not in frames[at + 3]:
                continue
            if b'"stream"' in frames[at + 2]:
                received += len(json.loads(frames[at + 5])["text"])
                while received >= (opened + GATE_EVERY) * (MB + 1):
                    opened += GATE_EVERY
                    os.write(gate, b"+")  # the reader has this much: print on
            elif b'"idle"' in frames[at + 5]:
                break
        growth = peak.growth()
        assert shell.wait_reply(msg_id) is not None
    finally:
        if gate is not None:
            os.close(gate)
        shell.close()
        stalled.close()
        reader.close()
    assert received == LINES * (MB + 1), f"the reading subscriber got {received} characters of output"
    assert growth < 250 * MB, f"a stalled subscriber cost {growth // MB} MB"  # ~130 MB queued


FRAGMENTED_HEAP = """\
_blocks = [bytes(4096) for _ in range(25_000)]  # ~100 MB from the C heap (above pymalloc's sizes)
_kept = _blocks[::50]  # one block in 50 stays: glibc cannot give the heap's top back by itself
del _blocks
"""


def test_the_memory_a_burst_freed_goes_back_to_the_system(start_kernel: Callable[..., RunningKernel]) -> None:
    """After a burst of messages (a thousand concurrent cells, a loop of displays), the memory it
    freed stays in the C heap, holes between live blocks; once the kernel is quiet it is returned
    to the system."""
    k = start_kernel(extra_arguments=["--log-level", "debug"])
    process = psutil.Process(k.pid)
    k.run(FRAGMENTED_HEAP)
    held = process.memory_info().rss
    k.run("from IPython.display import display\nfor _i in range(2100):\n    display(_i)")
    k.wait_for_log(r"gave the C heap's free memory back after a burst of \d+ messages", timeout=60)
    assert process.memory_info().rss < held - 50 * MB
    assert k.value("len(_kept)") == "500"
