"""Where :class:`~braid_kernel.engine.interrupt.Interrupter`'s SIGINT handler raises
KeyboardInterrupt: in a cell's own code, never in trio's KeyboardInterrupt-protected code below
an awaiting cell's frame (there it cancels the cells instead).

A raw SIGINT that reached a trio cell inside ``await trio.sleep`` just after trio had entered the
sleep's cancel scope once left that scope on the task: "Cancel scope stack corrupted" (a loaded CI
run).  ``sys.setprofile`` puts the signal at that moment here, as it does for the kernel process in
tests/protocol/test_trio.py."""

from __future__ import annotations

import ast
import signal
import sys
from collections.abc import Iterator
from types import CodeType, FrameType
from typing import Any

import anyio
import pytest

from braid_kernel.engine.cellfiles import CellFiles
from braid_kernel.engine.interrupt import WAKE_SIGNAL, Interrupter
from braid_kernel.routing.loopbridge import LoopBridge

pytestmark = pytest.mark.anyio


@pytest.fixture
def cell_files() -> CellFiles:
    return CellFiles()


@pytest.fixture
def interrupter(cell_files: CellFiles) -> Iterator[Interrupter]:
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, WAKE_SIGNAL)}
    made = Interrupter(cell_files)
    made.install()
    yield made
    for sig, handler in previous.items():
        signal.signal(sig, handler)


def _cell(cell_files: CellFiles, source: str) -> CodeType:
    filename = cell_files.register(source)
    code: CodeType = compile(source, filename, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    return code


async def test_a_sigint_in_a_cells_own_code_raises_keyboard_interrupt_there(
    interrupter: Interrupter, cell_files: CellFiles
) -> None:
    cancelled: list[float] = []
    interrupter.attach(LoopBridge.for_current_loop(), cancelled.append)
    namespace: dict[str, Any] = {}
    code = _cell(cell_files, "import signal\nsignal.raise_signal(signal.SIGINT)\nreached = True")
    with pytest.raises(KeyboardInterrupt):
        exec(code, namespace)
    assert "reached" not in namespace
    assert cancelled == []


@pytest.mark.parametrize("anyio_backend", ["trio"])  # asyncio protects none of its code
async def test_a_sigint_inside_trio_code_under_an_awaiting_cell_cancels_the_cell(
    interrupter: Interrupter, cell_files: CellFiles
) -> None:
    import trio

    enter = trio.CancelScope.__enter__.__code__

    def sigint_inside_trio(frame: FrameType, event: str, arg: object) -> None:
        if event == "return" and frame.f_code is enter:  # trio.sleep's scope entered, its body not
            sys.setprofile(None)
            signal.raise_signal(signal.SIGINT)

    with anyio.CancelScope() as scope:  # the scheduler's scope around the cell
        interrupter.attach(LoopBridge.for_current_loop(), lambda at: scope.cancel())
        cell = eval(_cell(cell_files, "import trio\nawait trio.sleep(60)"), {})
        sys.setprofile(sigint_inside_trio)
        try:
            await cell
        finally:
            sys.setprofile(None)
    assert scope.cancelled_caught  # and leaving the scope found trio's state intact
