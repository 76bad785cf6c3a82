"""GUI loop hosts: ``braid-tk`` (under Xvfb) and ``braid-qt`` (Qt offscreen) kernels.

The toolkit's main loop owns the kernel's main thread and the backend runs as its guest: a timer
of the toolkit keeps firing while a cell awaits, widgets made in one cell are there in the next,
interrupts and shutdown work, and matplotlib's Tk/Qt backends open live figure windows.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.protocol.conftest import BraidEnv
from tests.protocol.gui_support import xvfb_display
from tests.protocol.kernel_client import Executed, RunningKernel

pytestmark = pytest.mark.timeout(90)

KERNELS = {
    "braid-tk": ["--loop", "tk"],
    "braid-trio-tk": ["--backend", "trio", "--loop", "tk"],
    "braid-qt": ["--loop", "qt"],
    "braid-trio-qt": ["--backend", "trio", "--loop", "qt"],
}
TK_TICKER = (
    "import tkinter\n"
    "ticks = []\n"
    "window = tkinter.Toplevel()\n"
    "def tick():\n"
    "    ticks.append(1)\n"
    "    window.after(20, tick)\n"
    "window.after(20, tick)\n"
)
QT_TICKER = (
    "from PySide6.QtCore import QTimer\n"
    "from PySide6.QtWidgets import QLabel\n"
    "ticks = []\n"
    "timer = QTimer()\n"
    "timer.timeout.connect(lambda: ticks.append(1))\n"
    "timer.start(20)\n"
)
SLEEP = {"asyncio": "import asyncio\nawait asyncio.sleep({s})", "trio": "import trio\nawait trio.sleep({s})"}


@pytest.fixture(scope="module")
def gui_env(braid_env: BraidEnv) -> Iterator[BraidEnv]:
    """Kernelspecs with GUI loops, a virtual display for Tk, Qt's offscreen platform."""
    pytest.importorskip("tkinter")
    for name, options in KERNELS.items():
        cmd = [sys.executable, "-m", "braid_kernel", "install", *options, "--prefix", str(braid_env.prefix)]
        subprocess.run(cmd, check=True, capture_output=True, timeout=60)
        assert (braid_env.prefix / "share" / "jupyter" / "kernels" / name).is_dir()
    saved = {key: os.environ.get(key) for key in ("DISPLAY", "QT_QPA_PLATFORM")}
    with xvfb_display() as display:
        os.environ["DISPLAY"] = display
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        try:
            yield braid_env
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


@pytest.fixture
def gui_kernel(
    gui_env: BraidEnv, start_kernel: Callable[..., RunningKernel]
) -> Callable[[str], RunningKernel]:
    del gui_env
    return lambda name: start_kernel(kernel_name=name)


def _ticks_during_await(k: RunningKernel, backend: str) -> int:
    done = k.run(f"before = len(ticks)\n{SLEEP[backend].format(s=1)}\nlen(ticks) - before")
    return int(done.result)


def _assert_interrupted(done: Executed) -> None:
    assert done.status == "error" and done.content["ename"] == "KeyboardInterrupt", done.describe()


@pytest.mark.parametrize(("name", "backend"), [("braid-tk", "asyncio"), ("braid-trio-tk", "trio")])
def test_tk_after_callbacks_fire_while_a_cell_awaits(
    gui_kernel: Callable[[str], RunningKernel], name: str, backend: str, tmp_path: Path
) -> None:
    release = tmp_path / "release"  # the cell awaits until the test has its answers
    k = gui_kernel(name)
    k.run(TK_TICKER)
    assert _ticks_during_await(k, backend) >= 3, "the Tk loop did not run while the cell awaited"
    wait = (
        f"import os, {backend}\nwhile not os.path.exists({str(release)!r}):\n    await {backend}.sleep(0.01)"
    )
    cell = k.execute_request(f"print('awaiting', flush=True)\n{wait}")
    k.stream_until(cell, "awaiting")
    assert k.kernel_info()["implementation"] == "braid-kernel"
    complete = k.request("complete_request", {"code": "tic", "cursor_pos": 3})
    assert "ticks" in complete["content"]["matches"]
    assert not k.has_reply(cell)
    release.touch()
    assert k.reply(cell)["content"]["status"] == "ok"


def test_tk_widget_made_in_one_cell_is_read_in_the_next(gui_kernel: Callable[[str], RunningKernel]) -> None:
    k = gui_kernel("braid-tk")
    k.run(TK_TICKER + "label = tkinter.Label(window, text='made in a cell')\nlabel.pack()")
    k.run("label.config(text='updated in a later cell')")
    done = k.run(
        "import asyncio\nawait asyncio.sleep(0.2)\n"
        "(label.cget('text'), label.winfo_exists(), window.winfo_ismapped())"
    )
    assert done.result == "('updated in a later cell', 1, 1)"


@pytest.mark.parametrize(("name", "backend"), [("braid-tk", "asyncio"), ("braid-trio-tk", "trio")])
def test_interrupts_work_under_tk(
    gui_kernel: Callable[[str], RunningKernel], name: str, backend: str
) -> None:
    k = gui_kernel(name)
    k.run(TK_TICKER)
    for code in (SLEEP[backend].format(s=60), "import time\ntime.sleep(60)"):
        cell = k.execute_request(f"print('cell-started', flush=True)\n{code}")
        k.stream_until(cell, "cell-started")
        assert k.request("interrupt_request", channel="control")["content"]["status"] == "ok"
        _assert_interrupted(k.finish(cell, timeout=20))
    assert _ticks_during_await(k, backend) >= 3, "the Tk loop stopped after the interrupts"


def test_matplotlib_tk_opens_a_live_figure_window(gui_kernel: Callable[[str], RunningKernel]) -> None:
    k = gui_kernel("braid-tk")
    k.run("%matplotlib tk")
    done = k.run(
        "import asyncio\nimport matplotlib.pyplot as plt\n"
        "fig, ax = plt.subplots()\nax.plot([1, 3, 2])\nplt.show()\n"
        "draws = []\nfig.canvas.mpl_connect('draw_event', lambda event: draws.append(1))\n"
        "fig.canvas.draw_idle()\nawait asyncio.sleep(0.5)\n"
        "(plt.get_backend().lower(), type(fig.canvas.manager).__name__, "
        "bool(fig.canvas.manager.window.winfo_ismapped()), len(draws) > 0)"
    )
    assert done.result == "('tkagg', 'FigureManagerTk', True, True)"


def test_gui_magic_reports_the_host_and_refuses_another_toolkit(
    gui_kernel: Callable[[str], RunningKernel],
) -> None:
    k = gui_kernel("braid-tk")
    assert "GUI event loop: tk" in k.run("%gui").stdout
    assert "running" in k.run("%gui tk").stdout
    refused = k.execute("%gui qt")
    assert refused.status == "error"
    assert "braid-kernel install --loop qt" in refused.content["evalue"]
    refused_figures = k.execute("%matplotlib qt")
    assert refused_figures.status == "error", refused_figures.describe()
    assert k.value("import matplotlib\nmatplotlib.get_backend()") != "'QtAgg'", "refused, yet switched"


@pytest.mark.parametrize("name", ["braid-tk", "braid-trio-tk"])
def test_a_cell_quitting_the_tk_loop_does_not_end_the_kernel(
    gui_kernel: Callable[[str], RunningKernel], name: str
) -> None:
    k = gui_kernel(name)
    k.run("import tkinter\ntkinter._default_root.quit()")
    assert k.value("'still serving'") == "'still serving'"
    assert k.is_alive()


def test_shutdown_of_a_tk_kernel_while_a_cell_awaits(gui_kernel: Callable[[str], RunningKernel]) -> None:
    k = gui_kernel("braid-tk")
    k.run(TK_TICKER)
    cell = k.execute_request("import asyncio\nprint('cell-started', flush=True)\nawait asyncio.sleep(60)")
    k.stream_until(cell, "cell-started")
    assert k.request("shutdown_request", {"restart": False}, channel="control")["content"]["status"] == "ok"
    assert k.wait_for_exit(timeout=15), "the Tk-hosted kernel did not exit"


@pytest.mark.parametrize(("name", "backend"), [("braid-qt", "asyncio"), ("braid-trio-qt", "trio")])
def test_qt_timer_fires_while_a_cell_awaits_and_widgets_persist(
    gui_kernel: Callable[[str], RunningKernel], name: str, backend: str
) -> None:
    pytest.importorskip("PySide6")
    k = gui_kernel(name)
    k.run(QT_TICKER + "label = QLabel('made in a cell')\nlabel.show()")
    assert _ticks_during_await(k, backend) >= 3, "the Qt loop did not run while the cell awaited"
    k.run("label.setText('updated later')")
    assert k.value("(label.text(), label.isVisible())") == "('updated later', True)"


def test_interrupts_matplotlib_and_shutdown_under_qt(gui_kernel: Callable[[str], RunningKernel]) -> None:
    pytest.importorskip("PySide6")
    k = gui_kernel("braid-qt")
    for code in (SLEEP["asyncio"].format(s=60), "import time\ntime.sleep(60)"):
        cell = k.execute_request(f"print('cell-started', flush=True)\n{code}")
        k.stream_until(cell, "cell-started")
        k.request("interrupt_request", channel="control")
        _assert_interrupted(k.finish(cell, timeout=20))
    k.run("%matplotlib qt")
    done = k.run(
        "import asyncio\nimport matplotlib.pyplot as plt\n"
        "fig, ax = plt.subplots()\nax.plot([1, 3, 2])\nplt.show()\nawait asyncio.sleep(0.3)\n"
        "(plt.get_backend().lower(), type(fig.canvas.manager).__name__, "
        "fig.canvas.manager.window.isVisible())"
    )
    assert done.result == "('qtagg', 'FigureManagerQT', True)"
    assert k.request("shutdown_request", {"restart": False}, channel="control")["content"]["status"] == "ok"
    assert k.wait_for_exit(timeout=15), "the Qt-hosted kernel did not exit"
