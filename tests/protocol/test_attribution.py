"""Right output, right cell, always (issue 3, item 2), with many cells running at once.

Every line a cell produces — from the cell itself, a task it spawned, a thread it
started, ``anyio.to_thread``, logging, warnings, displays, errors, ``input()``
prompts — is published under that cell's parent header, exactly once, also
after the cell finished and while other cells run.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from tests.protocol.kernel_client import Msg, RunningKernel

pytestmark = pytest.mark.timeout(180)

CELLS = 50
LINES = 100

SETUP = """\
import asyncio, threading, anyio
def _from_thread(tag, n):
    for i in range(n):
        print(f"{tag} thread {i}")
"""

CELL = """\
async def _spawned(tag):
    for i in range({lines}):
        print(f"{{tag}} task {{i}}")
        if i % 10 == 0:
            await asyncio.sleep(0)
_t{n} = asyncio.create_task(_spawned("c{n}"))
_th{n} = threading.Thread(target=_from_thread, args=("c{n}", {lines}))
_th{n}.start()
for _i{n} in range({lines}):
    print(f"c{n} cell {{_i{n}}}")
    if _i{n} % 10 == 0:
        await asyncio.sleep(0.001)
await anyio.to_thread.run_sync(print, "c{n} to_thread 0")
await _t{n}
await anyio.to_thread.run_sync(_th{n}.join)
"""

TOKEN = re.compile(r"(c\d+) (cell|task|to_thread|thread) (\d+)")


def _lines(messages: list[Msg]) -> list[str]:
    text = "".join(
        m["content"]["text"]
        for m in messages
        if m["msg_type"] == "stream" and m["content"]["name"] == "stdout"
    )
    return [line for line in text.splitlines() if line]


def _check_each_cell_got_its_lines(k: RunningKernel, ids: list[str], lines: int) -> None:
    """Cell ``n`` (request ``ids[n]``) printed exactly its own numbered lines, once each, in order."""
    for msg_id in ids:
        assert k.reply(msg_id, timeout=120)["content"]["status"] == "ok"
    for n, msg_id in enumerate(ids):
        # Each print writes its text, then "\n", so two writers of one cell (the cell and its
        # thread) may put their texts on one line, as in a terminal: parse the texts themselves.
        text = "\n".join(_lines(k.iopub_until_idle(msg_id)))
        found = TOKEN.findall(text)
        assert TOKEN.sub("", text).strip() == "", f"cell {n}: text that is no print of it"
        assert {tag for tag, _, _ in found} == {f"c{n}"}, f"cell {n} got another cell's output"
        for source, count in (("cell", lines), ("task", lines), ("thread", lines), ("to_thread", 1)):
            numbers = [int(i) for _, src, i in found if src == source]
            assert numbers == list(range(count)), f"cell {n} {source}: lines lost, duplicated or reordered"


def test_fifty_concurrent_cells_get_exactly_their_own_lines(
    start_kernel: Callable[..., RunningKernel],
) -> None:
    k = start_kernel(kernel_name="braid-concurrent")
    k.run(SETUP)
    ids = [k.execute_request(CELL.format(n=n, lines=LINES)) for n in range(CELLS)]
    _check_each_cell_got_its_lines(k, ids, LINES)


def test_a_thread_of_cell_a_keeps_printing_into_a_after_cell_b_started(
    start_kernel: Callable[..., RunningKernel],
) -> None:
    k = start_kernel(kernel_name="braid-concurrent")
    a = k.execute_request(
        "import threading, time\n"
        "def _ticker():\n"
        "    for i in range(6):\n"
        "        print(f'A-tick {i}', flush=True)\n"
        "        time.sleep(0.1)\n"
        "threading.Thread(target=_ticker).start()"
    )
    assert k.reply(a)["content"]["status"] == "ok"  # A is done; its thread goes on
    b = k.execute_request("import asyncio\nprint('B-start')\nawait asyncio.sleep(0.5)\nprint('B-end')")
    assert k.reply(b)["content"]["status"] == "ok"
    k.iopub_settle(0.5)
    a_lines = [line for line in _lines(list(k.iopub_by_parent[a])) if line.startswith("A-tick")]
    b_lines = _lines(list(k.iopub_by_parent[b]))
    assert a_lines == [f"A-tick {i}" for i in range(6)]
    assert b_lines == ["B-start", "B-end"]


def test_logging_warnings_displays_and_errors_of_concurrent_cells_stay_apart(
    start_kernel: Callable[..., RunningKernel],
) -> None:
    k = start_kernel(kernel_name="braid-concurrent")
    k.run("import asyncio, logging, sys, warnings\nlogging.basicConfig(stream=sys.stdout, force=True)")
    code = (
        "await asyncio.sleep(0.05)\n"
        "logging.getLogger('t').warning('log-{n}')\n"
        "warnings.warn('warn-{n}', stacklevel=1)\n"
        "_h = display('shown-{n}', display_id=True)\n"
        "await asyncio.sleep(0.05)\n"
        "_h.update('updated-{n}')\n"
        "raise ValueError('boom-{n}')"
    )
    ids = [k.execute_request(code.format(n=n)) for n in range(8)]
    for n, msg_id in enumerate(ids):
        assert k.reply(msg_id)["content"]["status"] == "error"
        messages = k.iopub_until_idle(msg_id)
        text = "".join(str(m["content"]) for m in messages)
        for mine in (f"log-{n}", f"warn-{n}", f"shown-{n}", f"updated-{n}", f"boom-{n}"):
            assert mine in text, f"cell {n} lacks {mine}"
        others = [f"-{m}'" for m in range(8) if m != n]
        assert not any(other in text for other in others), f"cell {n} got another cell's output"


def test_input_prompts_of_concurrent_cells_carry_their_own_parent(
    start_kernel: Callable[..., RunningKernel],
) -> None:
    k = start_kernel(kernel_name="braid-concurrent")
    k.run("import asyncio")
    code = (
        "await asyncio.sleep(0.1)\nanswer = await asyncio.to_thread(input, 'who-{n}? ')\nprint('got', answer)"
    )
    ids = [k.execute_request(code.format(n=n), allow_stdin=True) for n in range(3)]
    asked: dict[str, str] = {}
    while len(asked) < 3:
        msg = k.kc.get_stdin_msg(timeout=30)
        parent = msg["parent_header"]["msg_id"]
        asked[parent] = msg["content"]["prompt"]
        # Answer this very prompt (parented to it): several are open at once.
        reply = k.kc.session.msg("input_reply", {"value": f"answer-{ids.index(parent)}"}, parent=msg)
        k.kc.stdin_channel.send(reply)
    for n, msg_id in enumerate(ids):
        assert asked[msg_id] == f"who-{n}? "
        assert k.finish(msg_id).stdout.strip() == f"got answer-{n}"


TRIO_CELL = """\
async def _spawned(tag):
    for i in range({lines}):
        print(f"{{tag}} task {{i}}")
        if i % 10 == 0:
            await trio.sleep(0)
_th{n} = threading.Thread(target=_from_thread, args=("c{n}", {lines}))
_th{n}.start()
async with trio.open_nursery() as _nursery:
    _nursery.start_soon(_spawned, "c{n}")
    for _i{n} in range({lines}):
        print(f"c{n} cell {{_i{n}}}")
        if _i{n} % 10 == 0:
            await trio.sleep(0.001)
await trio.to_thread.run_sync(print, "c{n} to_thread 0")
await trio.to_thread.run_sync(_th{n}.join)
"""


def test_concurrent_cells_on_trio_get_exactly_their_own_lines(
    start_kernel: Callable[..., RunningKernel],
) -> None:
    k = start_kernel(kernel_name="braid-concurrent-trio")
    k.run(SETUP.replace("import asyncio, threading, anyio", "import threading, trio"))
    cells, lines = 20, 50
    ids = [k.execute_request(TRIO_CELL.format(n=n, lines=lines)) for n in range(cells)]
    _check_each_cell_got_its_lines(k, ids, lines)
