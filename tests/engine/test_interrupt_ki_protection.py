"""Where :class:`~braid_kernel.engine.interrupt.Interrupter`'s SIGINT handler raises
KeyboardInterrupt: in a cell's own code, never in trio's KeyboardInterrupt-protected code below
a cell's frame (there a raw SIGINT cancels the cells, and an interrupt sent by
``Interrupter.interrupt`` is held and sent again until the main thread has left trio's code).

A raw SIGINT that reached a trio cell inside ``await trio.sleep`` just after trio had entered the
sleep's cancel scope once left that scope on the task: "Cancel scope stack corrupted" (a loaded CI
run).  ``sys.setprofile`` puts the signal at that moment here, as it does for the kernel process in
tests/protocol/test_trio.py."""

from __future__ import annotations

import ast
import signal
import sys
import threading
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


class _Watched(LoopBridge):
    """The loop's bridge, recording each time the handler asks whether trio protects the code."""

    def __init__(self, bridge: LoopBridge, asked: threading.Event) -> None:
        super().__init__(bridge.call_soon, bridge.ki_protected)
        self._asked = asked

    def ki_protected(self) -> bool:
        self._asked.set()
        return super().ki_protected()


@pytest.mark.parametrize("anyio_backend", ["trio"])
async def test_an_interrupt_that_lands_in_trio_code_of_a_computing_cell_raises_in_the_cells_own_code(
    interrupter: Interrupter, cell_files: CellFiles
) -> None:
    """interrupt() sends SIGINT again while the handler holds it: the cell computing on after
    trio's code gets KeyboardInterrupt in its own code, and trio's code ran to its end."""
    import trio

    asked, cancelled = threading.Event(), list[float]()
    interrupter.attach(_Watched(LoopBridge.for_current_loop(), asked), cancelled.append)
    sender = threading.Thread(target=interrupter.interrupt)
    namespace: dict[str, Any] = {"asked": asked, "trio": trio, "ran": [], "interrupt": sender.start}
    code = _cell(
        cell_files,
        "@trio.lowlevel.enable_ki_protection\n"
        "def trio_code():  # stands for trio's own code, running when the interrupt comes\n"
        "    interrupt()\n"
        "    while not asked.is_set():\n"
        "        pass\n"
        "    ran.append('to its end')\n"
        "trio_code()\n"
        "for _ in range(10**8):  # the cell computes on (seconds; the interrupt comes in 50 ms)\n"
        "    pass\n",
    )
    try:
        with pytest.raises(KeyboardInterrupt):
            exec(code, namespace)
    finally:
        sender.join()
    assert namespace["ran"] == ["to its end"]
    assert cancelled == []
