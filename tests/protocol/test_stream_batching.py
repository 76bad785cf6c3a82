"""A cell's printed lines reach the client in as few ``stream`` messages as ipykernel sends.

The kernel holds stream text back for up to 0.2 s (ipykernel's flush interval) before sending it,
so a loop's lines are one message, not one per wake-up of the I/O thread; what the cell posts
after its text (a display, its reply and idle) sends the text first, and ``sys.stdout.flush()``
sends it at once.  Where a test asserts that text was *not* sent early, its cell first makes the
interval a minute long, so the outcome never depends on the machine's speed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.protocol.kernel_client import Msg, RunningKernel, of_type

pytestmark = pytest.mark.timeout(60)

LONG_INTERVAL = "import braid_kernel.transport.batching as batching\nbatching.STREAM_FLUSH_INTERVAL = 60.0"


def _wait_for(gate: Path) -> str:
    """Cell code that waits until the test creates ``gate`` (what it does once it saw the output)."""
    return f"import pathlib, time\nwhile not pathlib.Path({str(gate)!r}).exists():\n    time.sleep(0.01)\n"


def _streams(messages: list[Msg]) -> list[tuple[str, str]]:
    return [(m["content"]["name"], m["content"]["text"]) for m in of_type(messages, "stream")]


@pytest.fixture
def patient_kernel(start_kernel: Callable[..., RunningKernel]) -> RunningKernel:
    """A kernel whose I/O thread holds stream text for a minute unless something sends it."""
    k = start_kernel()
    k.run(LONG_INTERVAL)
    return k


def test_a_loops_lines_are_one_message_although_the_cell_paused(patient_kernel: RunningKernel) -> None:
    # The sleep lets the I/O thread wake and take the first line before the loop's lines come.
    done = patient_kernel.run(
        "import time\nprint('start')\ntime.sleep(0.2)\nfor i in range(1000):\n    print(i)\n"
    )
    expected = "start\n" + "".join(f"{i}\n" for i in range(1000))
    assert _streams(done.iopub) == [("stdout", expected)], done.describe()


def test_text_keeps_its_place_among_displays_and_the_other_stream(patient_kernel: RunningKernel) -> None:
    done = patient_kernel.run(
        "import sys\nfrom IPython.display import display\n"
        "print('a1'); print('a2')\nprint('e', file=sys.stderr)\nprint('b')\ndisplay('shown')\nprint('c')"
    )
    kinds = [(m["msg_type"], m["content"].get("text")) for m in done.iopub if m["msg_type"] != "status"]
    assert kinds == [
        ("execute_input", None),
        ("stream", "a1\na2\n"),
        ("stream", "e\n"),
        ("stream", "b\n"),
        ("display_data", None),
        ("stream", "c\n"),
    ], done.describe()


def test_flush_sends_the_text_while_the_cell_runs(patient_kernel: RunningKernel, tmp_path: Path) -> None:
    gate = tmp_path / "gate"
    cell = patient_kernel.execute_request(
        "import sys\nprint('flushed')\nsys.stdout.flush()\n" + _wait_for(gate) + "print('after')"
    )
    patient_kernel.stream_until(cell, "flushed")
    gate.touch()
    done = patient_kernel.finish(cell)
    assert _streams(done.iopub) == [("stdout", "flushed\n"), ("stdout", "after\n")], done.describe()


def test_the_first_output_of_a_long_cell_arrives_while_it_runs(
    fresh_kernel: RunningKernel, tmp_path: Path
) -> None:
    """With the default interval: the text goes out after at most the interval, not at the end."""
    gate = tmp_path / "gate"
    cell = fresh_kernel.execute_request("print('working...')\n" + _wait_for(gate) + "print('done')")
    fresh_kernel.stream_until(cell, "working...")
    gate.touch()
    assert fresh_kernel.finish(cell).stdout == "working...\ndone\n"


def test_a_chunk_of_text_goes_out_while_the_cell_runs(patient_kernel: RunningKernel, tmp_path: Path) -> None:
    """Held text is bounded: once it fills a message (32 Ki characters) it is sent."""
    gate = tmp_path / "gate"
    cell = patient_kernel.execute_request("for i in range(20000):\n    print(i)\n" + _wait_for(gate))
    text = "".join(f"{i}\n" for i in range(20000))
    patient_kernel.stream_until(cell, text[: 3 * 32768])
    gate.touch()
    done = patient_kernel.finish(cell)
    assert "".join(t for _, t in _streams(done.iopub)) == text
    assert len(_streams(done.iopub)) == 4, [len(t) for _, t in _streams(done.iopub)]
