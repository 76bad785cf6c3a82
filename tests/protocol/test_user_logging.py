"""The root logger belongs to the notebook: logging in a cell reaches the cell, as in ipykernel.

The kernel's own log (the ``braid_kernel`` logger) goes to the terminal without touching the root
logger, so ``logging.warning()`` and ``logging.lastResort`` write to ``sys.stderr`` when called
(the cell's stream), and a user's ``logging.basicConfig()`` takes effect.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.protocol.kernel_client import RunningKernel

pytestmark = pytest.mark.timeout(60)


def test_root_logger_has_no_kernel_handler(kernel: RunningKernel) -> None:
    assert kernel.value("import logging\nlogging.getLogger().handlers") == "[]"


def test_last_resort_output_reaches_the_cell(fresh_kernel: RunningKernel) -> None:
    done = fresh_kernel.run("import logging\nlogging.getLogger('pre').warning('before basicConfig')")
    assert done.stderr == "before basicConfig\n", done.describe()


def test_root_warning_and_exception_reach_the_cell(fresh_kernel: RunningKernel) -> None:
    done = fresh_kernel.run("import logging\nlogging.warning('root warning')")
    assert done.stderr == "WARNING:root:root warning\n", done.describe()
    done = fresh_kernel.run("try:\n    1 / 0\nexcept ZeroDivisionError:\n    logging.exception('caught')")
    assert done.stderr.startswith("ERROR:root:caught\nTraceback"), done.describe()
    assert "ZeroDivisionError: division by zero" in done.stderr


def test_user_basic_config_takes_effect(fresh_kernel: RunningKernel) -> None:
    fresh_kernel.run(
        "import logging\nlogging.basicConfig(level=logging.INFO, format='%(levelname)s|%(name)s|%(message)s')"
    )
    done = fresh_kernel.run("logging.getLogger('x').info('yes')")
    assert done.stderr == "INFO|x|yes\n", done.describe()


def test_kernel_log_still_goes_to_the_terminal(start_kernel: Callable[..., RunningKernel]) -> None:
    k = start_kernel(extra_arguments=["--log-level", "DEBUG"])
    done = k.run("import logging\nlogging.getLogger('braid_kernel').debug('kernel-log-line')")
    assert done.stderr == "", done.describe()
    assert "kernel-log-line" in k.wait_for_log(r"\[braid DEBUG .*kernel-log-line")


def test_autoreload_failure_reaches_the_cell(fresh_kernel: RunningKernel) -> None:
    fresh_kernel.run(
        "%load_ext autoreload\n%autoreload 2\n"
        "import pathlib, sys, tempfile\n"
        "broken_dir = pathlib.Path(tempfile.mkdtemp())\n"
        "(broken_dir / 'braid_reload_broken.py').write_text('VALUE = 1\\n')\n"
        "sys.path.insert(0, str(broken_dir))\n"
        "import braid_reload_broken"
    )
    fresh_kernel.run(
        "import os\n"
        "broken = broken_dir / 'braid_reload_broken.py'\n"
        "broken.write_text('VALUE = (\\n')\n"
        "later = broken.stat().st_mtime + 10\n"
        "os.utime(broken, (later, later))"
    )
    done = fresh_kernel.run("'next cell'")
    assert "Failed to reload module 'braid_reload_broken'" in done.stderr, done.describe()
    assert "[autoreload of braid_reload_broken failed" in done.stderr
