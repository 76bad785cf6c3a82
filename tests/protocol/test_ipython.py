"""IPython inside the kernel: magics, shell escapes, get_ipython(), ``__main__``, pickling."""

from __future__ import annotations

import pytest

from tests.protocol import transports
from tests.protocol.kernel_client import RunningKernel

pytestmark = pytest.mark.timeout(60)

kernel = transports.kernel  # a kernel process, and in-process


def test_timeit_line_magic_reports_a_timing(kernel: RunningKernel) -> None:
    done = kernel.run("%timeit -n 10 -r 2 sum(range(100))")
    assert "per loop" in done.stdout, done.describe()


def test_time_cell_magic_reports_wall_time_and_keeps_names(kernel: RunningKernel) -> None:
    done = kernel.run("%%time\ntimed_total = sum(range(1000))")
    assert "Wall time" in done.stdout, done.describe()
    assert kernel.value("timed_total") == "499500"


def test_who_lists_user_variables(kernel: RunningKernel) -> None:
    kernel.run("braid_who_variable = 1")
    assert "braid_who_variable" in kernel.run("%who").stdout


def test_load_ext_autoreload_reloads_an_edited_module(kernel: RunningKernel) -> None:
    kernel.run("%load_ext autoreload\n%autoreload 2")
    assert kernel.value("'autoreload' in get_ipython().magics_manager.magics['line']") == "True"
    kernel.run(
        "import os, sys, tempfile, pathlib\n"
        "ar_dir = pathlib.Path(tempfile.mkdtemp())\n"
        "ar_file = ar_dir / 'braid_autoreloaded.py'\n"
        "ar_file.write_text('def value():\\n    return 1\\n')\n"
        "sys.path.insert(0, str(ar_dir))\n"
        "import braid_autoreloaded\n"
    )
    assert kernel.value("braid_autoreloaded.value()") == "1"
    kernel.run(
        "ar_file.write_text('def value():\\n    return 2\\n')\n"
        "later = ar_file.stat().st_mtime + 10\n"
        "os.utime(ar_file, (later, later))\n"
    )
    assert kernel.value("braid_autoreloaded.value()") == "2"


def test_shell_escape_output_reaches_the_cell(kernel: RunningKernel) -> None:
    done = kernel.run("!echo braid-shell-escape")
    assert "braid-shell-escape" in done.stdout, done.describe()


def test_shell_capture_assigns_the_lines(kernel: RunningKernel) -> None:
    kernel.run("captured_lines = !echo first-line; echo second-line")
    assert kernel.value("list(captured_lines)") == "['first-line', 'second-line']"


def test_get_ipython_returns_the_shell(kernel: RunningKernel) -> None:
    assert (
        kernel.value("ip = get_ipython()\nisinstance(ip.user_ns, dict) and ip.user_ns is globals()") == "True"
    )
    assert kernel.value("get_ipython().kernel is not None") == "True"


def test_cell_globals_name_is_main(kernel: RunningKernel) -> None:
    assert kernel.value("__name__") == "'__main__'"
    assert kernel.value("import sys; sys.modules['__main__'].__dict__ is globals()") == "True"


def test_class_defined_in_a_cell_pickles_and_unpickles(kernel: RunningKernel) -> None:
    kernel.run(
        "import pickle\nclass CellDefined:\n    def __init__(self):\n        self.payload = 'pickled-ok'\n"
    )
    assert kernel.value("pickle.loads(pickle.dumps(CellDefined())).payload") == "'pickled-ok'"


def test_pip_magic_runs_pip(kernel: RunningKernel) -> None:
    done = kernel.run("%pip --version", timeout=60)
    assert "pip " in done.stdout, done.describe()
