"""IPython configuration at run time and at launch, as ipykernel honours it.

``%config Class.trait = value`` reaches the shell and its configurables (the shell's ``config`` is
a traitlets ``Config`` throughout), and a launcher's ``--Class.trait=value`` arguments configure
the kernel's IPython as they configure ipykernel's.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.protocol import transports
from tests.protocol.kernel_client import RunningKernel

pytestmark = pytest.mark.timeout(90)

kernel = transports.kernel  # a kernel process, and in-process
start_kernel = transports.start_kernel


def test_config_magic_sets_ast_node_interactivity(kernel: RunningKernel) -> None:
    kernel.run("%config InteractiveShell.ast_node_interactivity = 'all'")
    try:
        done = kernel.run("'first-value'\n'second-value'")
        values = [m["content"]["data"]["text/plain"] for m in done.of_type("execute_result")]
        assert values == ["'first-value'", "'second-value'"], done.describe()
    finally:
        kernel.run("%config InteractiveShell.ast_node_interactivity = 'last_expr'")


def test_config_magic_is_kept_in_the_shell_config(kernel: RunningKernel) -> None:
    kernel.run("%config InteractiveShell.xmode = 'Plain'")
    try:
        assert kernel.value("get_ipython().config.InteractiveShell.xmode") == "'Plain'"
        assert kernel.value("type(get_ipython().config['IPKernelApp']).__name__") == "'Config'"
    finally:
        kernel.run("%config InteractiveShell.xmode = 'Context'")


@transports.zmq_only("kernel")
def test_config_magic_selects_svg_figures(kernel: RunningKernel) -> None:
    kernel.run("%config InlineBackend.figure_formats = ['svg']")
    try:
        done = kernel.run("import matplotlib.pyplot as plt\nplt.plot([1, 2]);")
        bundles = [m["content"]["data"] for m in done.of_type("display_data")]
        assert len(bundles) == 1 and "image/svg+xml" in bundles[0], done.describe()
        assert "image/png" not in bundles[0]
    finally:
        kernel.run("%config InlineBackend.figure_formats = ['png']")


@transports.zmq_only("start_kernel")
def test_launcher_traitlets_options_configure_ipython_quietly(
    start_kernel: Callable[..., RunningKernel],
) -> None:
    # nbclient and papermill start every python3 kernel with this option.
    options = ["--HistoryManager.hist_file=:memory:", "--InteractiveShell.xmode=Plain"]
    k = start_kernel(extra_arguments=options)
    assert k.value("get_ipython().history_manager.hist_file") == "':memory:'"
    assert k.value("get_ipython().InteractiveTB.mode") == "'Plain'"
    assert "ignoring" not in k.log_text() and "warning" not in k.log_text().lower(), k.log_text()


@transports.zmq_only("start_kernel")
def test_launcher_list_options_are_lists(start_kernel: Callable[..., RunningKernel]) -> None:
    """A list given on the command line, in list syntax or repeated, is read as ipykernel reads
    it (the lines used to run one character at a time: "Line magic function `%` not found")."""
    options = [
        '--InteractiveShellApp.exec_lines=["FIRST = 1", "SECOND = 2"]',
        "--IPKernelApp.exec_lines=THIRD = 3",
        "--IPKernelApp.exec_lines=FOURTH = 4",
    ]
    k = start_kernel(extra_arguments=options)
    # IPKernelApp's setting wins over InteractiveShellApp's, as in ipykernel
    assert (
        k.value("[n in globals() for n in ('FIRST', 'SECOND', 'THIRD', 'FOURTH')]")
        == "[False, False, True, True]"
    )
    assert "not found" not in k.log_text(), k.log_text()


@transports.zmq_only("kernel")
def test_sys_argv_is_the_launcher_arguments_without_the_command(kernel: RunningKernel) -> None:
    # as ipykernel's [launcher, "-f", CONNECTION_FILE]: notebooks' argparse.parse_known_args() works
    expected = ["-f", kernel.km.connection_file]
    assert kernel.value(f"import sys\nsys.argv[1:3] == {expected!r}") == "True", kernel.value("sys.argv")
