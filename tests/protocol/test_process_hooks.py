"""What the kernel replaces process-wide behaves, for a cell, as the original does.

A kernel process replaces ``time.sleep`` (interruptible in subshells), ``Thread.start`` and
``ThreadPoolExecutor.submit`` (context into threads), ``input``/``getpass`` (stdin through the
frontend) and ``comm``'s factories.  Cells hand these functions to process pools, pickle them,
inspect them and mock them, as they do in any other kernel (tests/test_process_hooks.py checks
each replacement on its own).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.protocol.conftest import BraidEnv
from tests.protocol.kernel_client import RunningKernel

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module", params=["braid", "braid-trio"])
def kernel(braid_env: BraidEnv, request: pytest.FixtureRequest) -> Iterator[RunningKernel]:
    """A kernel per backend, shared by the module's tests."""
    k = RunningKernel(braid_env.new_log(), kernel_name=request.param)
    try:
        k.wait_for_iopub()
        yield k
    finally:
        k.close()


def test_a_process_pool_runs_time_sleep(kernel: RunningKernel) -> None:
    done = kernel.run(
        "import time\n"
        "from concurrent.futures import ProcessPoolExecutor\n"
        "with ProcessPoolExecutor(1) as pool:\n"
        "    print('pool result', pool.submit(time.sleep, 0).result())"
    )
    assert done.status == "ok", done.describe()
    assert "pool result None" in done.stdout


def test_a_spawned_multiprocessing_pool_maps_time_sleep(kernel: RunningKernel) -> None:
    # spawn: the worker is a fresh interpreter, which loads the pickled reference as its own time.sleep
    done = kernel.run(
        "import multiprocessing, time\n"
        "with multiprocessing.get_context('spawn').Pool(1) as pool:\n"
        "    print('mapped', pool.map(time.sleep, [0, 0]))"
    )
    assert done.status == "ok", done.describe()
    assert "mapped [None, None]" in done.stdout


def test_patched_functions_pickle_by_reference(kernel: RunningKernel) -> None:
    done = kernel.run(
        "import builtins, getpass, pickle, subprocess, sys, threading, time, cloudpickle\n"
        "from concurrent.futures import ThreadPoolExecutor\n"
        "patched = [time.sleep, threading.Thread.start, ThreadPoolExecutor.submit, input, getpass.getpass]\n"
        "print('pickle', all(pickle.loads(pickle.dumps(f)) is f for f in patched))\n"
        "print('cloudpickle', all(cloudpickle.loads(cloudpickle.dumps(f)) is f for f in patched))\n"
        "# what a Dask worker does: load cloudpickle's bytes in another interpreter\n"
        "check = 'import pickle, sys, time; print(pickle.loads(sys.stdin.buffer.read()) is time.sleep)'\n"
        "fresh = subprocess.run([sys.executable, '-c', check], input=cloudpickle.dumps(time.sleep),\n"
        "                       capture_output=True, timeout=60)\n"
        "print('fresh', fresh.stdout.decode().strip(), fresh.stderr.decode()[-300:])"
    )
    assert done.status == "ok", done.describe()
    assert "pickle True" in done.stdout
    assert "cloudpickle True" in done.stdout
    assert "fresh True" in done.stdout


def test_patched_functions_keep_name_module_and_signature(kernel: RunningKernel) -> None:
    done = kernel.run(
        "import inspect, threading, time\n"
        "print('sleep', time.sleep.__module__, time.sleep.__qualname__)\n"
        "print('start', threading.Thread.start.__module__, threading.Thread.start.__qualname__)\n"
        "print('input', input.__module__, input.__name__, inspect.signature(input))"
    )
    assert done.status == "ok", done.describe()
    assert "sleep time sleep" in done.stdout
    assert "start threading Thread.start" in done.stdout
    assert "input builtins input (prompt='', /)" in done.stdout


def test_mock_patch_of_time_sleep_works_and_restores_the_kernels(kernel: RunningKernel) -> None:
    done = kernel.run(
        "import time\n"
        "from unittest import mock\n"
        "before = time.sleep\n"
        "with mock.patch('time.sleep') as fake:\n"
        "    time.sleep(30)\n"
        "print('called', fake.call_args_list, 'restored', time.sleep is before)\n"
        "with mock.patch('time.sleep', autospec=True) as fake:\n"
        "    time.sleep(30)\n"
        "print('autospec', fake.call_count, 'restored', time.sleep is before)"
    )
    assert done.status == "ok", done.describe()
    assert "called [call(30)] restored True" in done.stdout
    assert "autospec 1 restored True" in done.stdout


def test_stdout_stderr_and_displayhook_are_what_ipykernel_code_expects(kernel: RunningKernel) -> None:
    # not the originals (they must route output to cells), but the same kind of object as
    # ipykernel's: text streams with a name and the process's descriptors, IPython's display hook
    done = kernel.run(
        "import io, sys\n"
        "for s in (sys.stdout, sys.stderr):\n"
        "    print('stream', isinstance(s, io.TextIOBase), s.name, s.fileno(), s.writable(),\n"
        "          s.readable(), s.isatty(), s.encoding.lower())\n"
        "print('displayhook', sys.displayhook is get_ipython().displayhook)"
    )
    assert done.status == "ok", done.describe()
    assert "stream True stdout 1 True False False utf-8" in done.stdout
    assert "stream True stderr 2 True False False utf-8" in done.stdout
    assert "displayhook True" in done.stdout
