"""stdout/stderr streams: content, order, coalescing, and the right parent for every writer."""

from __future__ import annotations

import pytest

from tests.protocol import transports
from tests.protocol.kernel_client import RunningKernel, stream_text

pytestmark = pytest.mark.timeout(60)

kernel = transports.kernel  # a kernel process, and in-process


def test_stdout_and_stderr_streams_reach_the_cell(kernel: RunningKernel) -> None:
    done = kernel.run(
        "import sys\nprint('out-one')\nprint('err-one', file=sys.stderr)\nsys.stdout.write('out-two\\n')\n"
        "sys.stderr.write('err-two\\n')"
    )
    assert done.stdout == "out-one\nout-two\n"
    assert done.stderr == "err-one\nerr-two\n"
    assert all(m["parent_header"]["msg_id"] == done.msg_id for m in done.of_type("stream"))


def test_stream_text_precedes_the_execute_result_and_idle(kernel: RunningKernel) -> None:
    done = kernel.run("print('printed-first')\n'result-last'")
    types = [m["msg_type"] for m in done.iopub]
    assert types.index("stream") < types.index("execute_result") < len(types) - 1
    assert types[-1] == "status"


def test_hundred_thousand_prints_arrive_complete_in_order_and_coalesced(kernel: RunningKernel) -> None:
    done = kernel.run("for i in range(100_000):\n    print(i)", timeout=60)
    streams = done.of_type("stream")
    assert done.stdout == "".join(f"{i}\n" for i in range(100_000))
    assert len(streams) < 1000, f"{len(streams)} stream messages for 100,000 prints"


def test_thread_output_carries_the_cell_parent(kernel: RunningKernel) -> None:
    done = kernel.run(
        "import threading\n"
        "t = threading.Thread(target=lambda: print('from-joined-thread'))\n"
        "t.start(); t.join()"
    )
    assert done.stdout == "from-joined-thread\n"


def test_late_thread_output_still_lands_in_its_cell(kernel: RunningKernel) -> None:
    done = kernel.run(
        "import threading, time\n"
        "def _late():\n"
        "    time.sleep(0.5)\n"
        "    print('from-late-thread')\n"
        "late_thread = threading.Thread(target=_late)\n"
        "late_thread.start()"
    )
    assert "from-late-thread" not in done.stdout
    kernel.run("'another cell runs meanwhile'")
    kernel.stream_until(done.msg_id, "from-late-thread", timeout=10)
    orphans = [m for m in kernel.iopub_by_parent[None] if m["msg_type"] == "stream"]
    assert not orphans, f"stream output without a parent: {orphans}"


def test_thread_pool_output_carries_the_cell_parent(kernel: RunningKernel) -> None:
    done = kernel.run(
        "import sys\n"
        "from concurrent.futures import ThreadPoolExecutor\n"
        "with ThreadPoolExecutor(2) as pool:\n"
        "    list(pool.map(lambda n: sys.stdout.write(f'pool-{n}\\n'), range(4)))\n"
    )
    assert sorted(done.stdout.split()) == ["pool-0", "pool-1", "pool-2", "pool-3"]


def test_logging_stream_handler_on_stdout_reaches_each_cell(kernel: RunningKernel) -> None:
    first = kernel.run(
        "import logging, sys\n"
        "braid_logger = logging.getLogger('braid.protocol.test')\n"
        "braid_logger.addHandler(logging.StreamHandler(sys.stdout))\n"
        "braid_logger.setLevel(logging.INFO)\n"
        "braid_logger.propagate = False\n"
        "braid_logger.info('log-line-one')"
    )
    assert first.stdout == "log-line-one\n"
    second = kernel.run("braid_logger.warning('log-line-two')")
    assert second.stdout == "log-line-two\n"


@transports.zmq_only()  # in-process, warnings go through the host's (here pytest records them)
def test_warnings_warn_reaches_the_cell_stderr(kernel: RunningKernel) -> None:
    done = kernel.run("import warnings\nwarnings.warn('braid-warning-text')")
    assert "UserWarning: braid-warning-text" in done.stderr, done.describe()


def test_output_of_a_cell_never_leaks_into_the_next(kernel: RunningKernel) -> None:
    first = kernel.execute_request("for i in range(2000):\n    print('first-cell')")
    second = kernel.execute_request("print('second-cell')")
    a, b = kernel.finish(first), kernel.finish(second)
    assert set(a.stdout.split()) == {"first-cell"} and len(a.stdout.split()) == 2000
    assert b.stdout == "second-cell\n"
    assert "first-cell" not in stream_text(kernel.iopub_by_parent[second])
