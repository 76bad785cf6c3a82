"""Starting a kernel process: the user's IPython profile honoured, no startup race.

The kernel binds its sockets before it builds its shell, but answers nothing —
kernel_info included — until the shell serves: a client that got a kernel_info
reply runs its next cell at once, after the profile's startup files.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from braid_kernel.shell.setup import HISTORY_BATCH
from tests.protocol.kernel_client import TIMEOUT, RunningKernel

pytestmark = pytest.mark.timeout(90)

SLOW_STARTUP = """\
import pathlib, time
time.sleep(2.0)
FROM_STARTUP_FILE = 42
pathlib.Path({done!r}).write_text(str(time.time()))
"""
KERNEL_CONFIG = """\
c.InteractiveShellApp.exec_lines = ["FROM_EXEC_LINE = 'line'"]
c.InteractiveShell.ast_node_interactivity = "all"
"""


def _profile(root: Path, done: Path) -> dict[str, str]:
    profile = root / "profile_default"
    (profile / "startup").mkdir(parents=True)
    (profile / "startup" / "50-slow.py").write_text(SLOW_STARTUP.format(done=str(done)))
    (profile / "startup" / "60-magic.ipy").write_text("%alias braid_alias echo\nFROM_IPY = 'ipy'\n")
    (profile / "startup" / "70-broken.py").write_text("raise RuntimeError('broken startup file')\n")
    (profile / "ipython_kernel_config.py").write_text(KERNEL_CONFIG)
    return {**os.environ, "IPYTHONDIR": str(root)}


def test_kernel_info_is_answered_after_the_startup_files_and_the_first_cell_sees_them(
    start_kernel: Callable[..., RunningKernel], tmp_path: Path
) -> None:
    done = tmp_path / "startup-finished"
    k = start_kernel(env=_profile(tmp_path / "ipython", done))
    ready_at = time.time()  # wait_for_ready returned: kernel_info was answered
    first = k.execute("FROM_STARTUP_FILE, FROM_EXEC_LINE, FROM_IPY")
    assert first.status == "ok", first.describe()
    assert first.result == "(42, 'line', 'ipy')"
    assert ready_at > float(done.read_text()), "kernel_info was answered before the shell was ready"
    assert "broken startup file" in k.log_text()  # logged, the kernel started anyway


def test_profile_config_applies_and_startup_names_are_hidden_from_who(
    start_kernel: Callable[..., RunningKernel], tmp_path: Path
) -> None:
    k = start_kernel(env=_profile(tmp_path / "ipython", tmp_path / "done"))
    both = k.run("1\n2")  # ast_node_interactivity = "all": both values shown
    values = [m["content"]["data"]["text/plain"] for m in both.of_type("execute_result")]
    assert values == ["1", "2"]
    who = k.run("visible = 1\n%who").stdout
    assert "visible" in who and "FROM_STARTUP_FILE" not in who


WARM_UP_STEP = """\
import sys, threading, traceback
_warm = [t for t in threading.enumerate() if t.name == "braid-warmup"]
_names = [f.name for f in traceback.extract_stack(sys._current_frames()[_warm[0].ident])] if _warm else []
"done" if not _warm else _names[_names.index("_warm_up") + 1] if "_warm_up" in _names else "?"
"""


def _warm_up_step(kernel: RunningKernel) -> str:
    """The warm-up thread's current call; ``'done'`` when there is none (never started, or ended)."""
    return kernel.value(WARM_UP_STEP).strip("'")


def test_the_background_warm_up_runs_once_an_interactive_frontend_is_seen(
    fresh_kernel: RunningKernel,
) -> None:
    """The traceback formatter's modules and completion's jedi (~7.5 MB) are loaded in the
    background, in a quiet moment, once a frontend a person types in (an execute_request allowing
    stdin) has been seen; a kernel running cells in batch (nbclient, papermill: no stdin) has no
    warm-up thread at all."""
    loaded = "[m in __import__('sys').modules for m in ('jedi', 'stack_data')]"
    threads = "[t.name for t in __import__('threading').enumerate()]"
    fresh_kernel.run("1")  # as nbclient sends it: no stdin
    assert "braid-warmup" not in fresh_kernel.value(threads)
    assert fresh_kernel.value(loaded) == "[False, False]"
    fresh_kernel.run("'typed by a person'", allow_stdin=True)
    assert _warm_up_step(fresh_kernel) != "done" or fresh_kernel.value(loaded) == "[True, True]"  # started
    deadline = time.monotonic() + 40
    while _warm_up_step(fresh_kernel) != "done":
        assert time.monotonic() < deadline, "the warm-up never ended"
        time.sleep(0.5)  # quiet gaps longer than the warm-up's idle threshold
    assert fresh_kernel.value(loaded) == "[True, True]"


THEME_SPY = """\
import threading
from IPython.utils.PyColorize import theme_table
_theme = theme_table[get_ipython().colors]
_formatted_by, _format = [], _theme.format
def _spy(*args, **kwargs):
    _formatted_by.append(threading.current_thread().name)
    return _format(*args, **kwargs)
_theme.format = _spy
"""


def test_the_warm_up_prepares_the_shells_own_traceback_theme(fresh_kernel: RunningKernel) -> None:
    """The warm-up formats with the theme the shell's tracebacks use (``%colors``): IPython builds
    a theme's pygments style and formatter on its first use (~50 ms, the first error's), and a
    formatter of IPython's default theme prepared another theme's."""
    pyc = pytest.importorskip("IPython.utils.PyColorize")
    if not hasattr(pyc, "theme_table"):
        pytest.skip("IPython 8 has no themes")
    fresh_kernel.run(THEME_SPY)  # before the warm-up starts: no interactive frontend yet
    fresh_kernel.run("'typed by a person'", allow_stdin=True)
    deadline = time.monotonic() + 40
    while _warm_up_step(fresh_kernel) != "done":
        assert time.monotonic() < deadline, "the warm-up never ended"
        time.sleep(0.5)  # quiet gaps longer than the warm-up's idle threshold
    assert "braid-warmup" in fresh_kernel.value("_formatted_by")


def test_ipkernelapp_settings_of_ipython_kernel_config_apply(
    start_kernel: Callable[..., RunningKernel], tmp_path: Path
) -> None:
    """``c.IPKernelApp.exec_lines`` / ``.matplotlib``: how ipykernel's users spell startup settings."""
    profile = tmp_path / "ipython" / "profile_default"
    profile.mkdir(parents=True)
    (profile / "ipython_kernel_config.py").write_text(
        'c.IPKernelApp.exec_lines = ["FROM_KERNEL_APP = 1"]\nc.IPKernelApp.matplotlib = "inline"\n'
    )
    k = start_kernel(env={**os.environ, "IPYTHONDIR": str(tmp_path / "ipython")})
    assert k.value("FROM_KERNEL_APP") == "1"
    assert k.value("__import__('matplotlib').get_backend()").endswith("inline'"), k.log_text()


WAIT_FOR_TRACEBACK_MODULES = """\
import sys, time
_deadline = time.monotonic() + 30
while "stack_data" not in sys.modules and time.monotonic() < _deadline:
    time.sleep(0.01)
"stack_data" in sys.modules
"""


def test_a_long_cell_gets_the_traceback_formatter_prepared_in_a_batch_kernel(
    fresh_kernel: RunningKernel,
) -> None:
    """A batch kernel (no stdin) prepares the traceback formatter in the background once a cell has
    kept it busy for a while: that cell may end in an error or an interrupt, whose traceback would
    otherwise wait for the process's first formatting (~60 ms)."""
    loaded = "[m in __import__('sys').modules for m in ('jedi', 'stack_data')]"
    assert fresh_kernel.value(loaded) == "[False, False]"  # short cells: nothing prepared
    assert fresh_kernel.value(WAIT_FOR_TRACEBACK_MODULES) == "True"  # the cell runs until it is
    assert fresh_kernel.value(loaded) == "[False, True]"  # completion's jedi: only for a person
    reply = fresh_kernel.execute("1 / 0")
    assert reply.status == "error" and reply.content["ename"] == "ZeroDivisionError"


COMPUTE_THEN_LOOK = """\
import sys, time
_deadline = time.monotonic() + 1.5
while time.monotonic() < _deadline:
    sum(range(1000))
"stack_data" in sys.modules
"""


def test_a_long_cell_that_computes_gets_no_warm_up(fresh_kernel: RunningKernel) -> None:
    """While the main thread computes, the formatter's imports would take the GIL from the cell and
    from every request meanwhile: the next long cell that waits gets them instead."""
    assert fresh_kernel.value(COMPUTE_THEN_LOOK) == "False"
    assert fresh_kernel.value(WAIT_FOR_TRACEBACK_MODULES) == "True"


def test_history_is_opened_on_first_use_and_kept_for_the_next_kernel(
    start_kernel: Callable[..., RunningKernel], tmp_path: Path
) -> None:
    """The history database is not opened (nor sqlite3 imported) until history is used: cells are
    written in batches, here at the kernel's exit; the next kernel's history request finds them."""
    env = {**os.environ, "IPYTHONDIR": str(tmp_path / "ipython")}
    database = tmp_path / "ipython" / "profile_default" / "history.sqlite"
    first = start_kernel(env=env)
    marker = "kept_by_the_first_kernel = 1"
    first.run(marker)
    assert first.value("'sqlite3' in __import__('sys').modules") == "False"
    assert not database.exists()
    reply = first.request("shutdown_request", {"restart": False}, channel="control")
    assert reply["content"]["status"] == "ok"
    assert first.wait_for_exit()
    assert database.exists()  # written as the kernel exited

    second = start_kernel(env=env)
    tail = {"hist_access_type": "tail", "n": 10, "output": False, "raw": True}
    sources = [entry[2] for entry in second.request("history_request", tail)["content"]["history"]]
    assert marker in sources
    assert second.value("'sqlite3' in __import__('sys').modules") == "True"


def test_a_history_batch_is_written_once_the_kernel_is_quiet(
    start_kernel: Callable[..., RunningKernel], tmp_path: Path
) -> None:
    """The batch a cell fills waits for a quiet kernel: not written while that cell still runs
    (when the kernel wrote it at once, the write took the GIL from the cell's reply), written once
    the kernel is idle."""
    env = {**os.environ, "IPYTHONDIR": str(tmp_path / "ipython")}
    database = tmp_path / "ipython" / "profile_default" / "history.sqlite"
    k = start_kernel(env=env)
    for n in range(1, HISTORY_BATCH):
        k.run(f"cell_{n} = {n}")
    count = "SELECT COUNT(*) FROM history WHERE source LIKE 'cell_%' OR source LIKE '%batch_filled%'"
    # This cell fills the batch; a saving thread that wrote at once would be done well within
    # its 0.3 s, which the kernel, busy with the cell, spends without writing.
    filled = k.run(
        "import sqlite3, time\n"
        "time.sleep(0.3)  # batch_filled\n"
        f"connection = sqlite3.connect({str(database)!r})\n"
        "try:\n"
        f"    print(connection.execute({count!r}).fetchone()[0])\n"
        "except sqlite3.OperationalError:\n"
        "    print(0)  # no table yet\n"
        "connection.close()"
    )
    assert filled.stdout.strip() == "0"
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline and _count(database, count) < HISTORY_BATCH:
        time.sleep(0.02)  # idle: the saving thread writes within QUIET
    assert _count(database, count) == HISTORY_BATCH


def _count(database: Path, query: str) -> int:
    if not database.exists():
        return 0
    with contextlib.closing(sqlite3.connect(database)) as connection:
        try:
            number: int = connection.execute(query).fetchone()[0]
        except sqlite3.OperationalError:
            return 0
    return number


GC_SEEN_AT_STARTUP = """\
import gc
GC_AT_STARTUP = gc.isenabled()
"""


def test_the_collector_is_paused_while_the_kernel_starts_and_runs_for_the_users_code(
    start_kernel: Callable[..., RunningKernel], tmp_path: Path
) -> None:
    profile = tmp_path / "ipython" / "profile_default"
    (profile / "startup").mkdir(parents=True)
    (profile / "startup" / "50-gc.py").write_text(GC_SEEN_AT_STARTUP)
    k = start_kernel(env={**os.environ, "IPYTHONDIR": str(tmp_path / "ipython")})
    seen = k.value(
        "import gc\n"
        "_young = gc.get_stats()[0]['collections']\n"
        "_made = len(gc.get_objects())\n"
        "_x = [1]\n"
        "(GC_AT_STARTUP, gc.isenabled(), gc.get_freeze_count(),\n"
        " _young < _made / gc.get_threshold()[0] / 2,\n"
        " any(r is get_ipython().user_ns for r in gc.get_referrers(_x)))"
    )
    # The startup files ran with the collector on; it is on, nothing is frozen; the young
    # generation was collected far fewer times than the kernel's objects would have caused (one
    # collection per 700 of them: ~90 by the first cell when it runs through the start, ~20 when
    # paused); the startup's objects (the user namespace) are visible to gc.get_referrers.
    assert seen == "(True, True, 0, True, True)"
