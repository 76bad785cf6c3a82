"""Output of child processes and of threads' uncaught exceptions reaches the cell (issue 15, item 5).

A forked child (``os.fork``, multiprocessing's ``fork`` start method, ``ProcessPoolExecutor``
workers) has no I/O thread: its ``sys.stdout``/``sys.stderr`` write straight to fds 1 and 2,
which the kernel captures and routes to the running cell, so the text is in the cell before its
reply, whole, even when the child leaves through ``os._exit`` without flushing.  ``spawn`` and
``forkserver`` children are new interpreters writing to the same captured descriptors.
A thread's "Exception in thread ..." goes to the cell that started the thread, without the
kernel's frames.  Each test runs on asyncio and on trio.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator

import pytest

from tests.protocol.conftest import BraidEnv, _close_and_show_log
from tests.protocol.kernel_client import RunningKernel, stream_text

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module", params=["braid", "braid-trio"])
def kernel(request: pytest.FixtureRequest, braid_env: BraidEnv) -> Iterator[RunningKernel]:
    k = RunningKernel(braid_env.new_log(), kernel_name=request.param)
    try:
        k.wait_for_iopub()
        k.run("import multiprocessing as mp, os, sys, threading")
        yield k
    finally:
        _close_and_show_log(k)


def run(kernel: RunningKernel, code: str) -> tuple[str, str]:
    """Run ``code``; its cell's stdout and stderr (the messages parented to it, up to idle)."""
    done = kernel.run(textwrap.dedent(code))
    return done.stdout, done.stderr


def test_fork_process_print_reaches_the_cell_whole_without_a_flush(kernel: RunningKernel) -> None:
    out, _ = run(
        kernel,
        """
        def child():
            print('flushed child line', flush=True)
            for i in range(2000):
                print('unflushed', i)
        p = mp.get_context('fork').Process(target=child)
        p.start(); p.join()
        assert p.exitcode == 0
        """,
    )
    assert "flushed child line\n" in out
    expected = "".join(f"unflushed {i}\n" for i in range(2000))
    assert expected in out  # complete and in order


def test_child_output_comes_before_what_the_kernel_prints_after_join(kernel: RunningKernel) -> None:
    out, _ = run(
        kernel,
        """
        from concurrent.futures import ProcessPoolExecutor
        ctx = mp.get_context('fork')
        for i in range(10):
            print('before', i)
            p = ctx.Process(target=print, args=('child', i)); p.start(); p.join()
            print('after', i)
        def noisy(v):
            print('worker', v)
            return v
        with ProcessPoolExecutor(1, mp_context=ctx) as pool:
            for i in range(5):
                print('result', pool.submit(noisy, i).result())
        """,
    )
    expected = "".join(f"before {i}\nchild {i}\nafter {i}\n" for i in range(10))
    expected += "".join(f"worker {i}\nresult {i}\n" for i in range(5))
    assert out == expected


def test_child_output_comes_before_the_cells_result_and_displays(kernel: RunningKernel) -> None:
    code = (
        "ctx = mp.get_context('fork')\n"
        "for i in range(8):\n"
        "    p = ctx.Process(target=print, args=('child', i)); p.start(); p.join()\n"
        "    display(i)\n"
        "p = ctx.Process(target=print, args=('last child',)); p.start(); p.join()\n"
        "'result'"
    )
    done = kernel.run(code)
    seen: list[str] = []
    previous = ""
    for msg in done.iopub:
        if msg["msg_type"] == "stream" and previous == "stream":
            seen[-1] += msg["content"]["text"]  # one stream output, however it was batched
        elif msg["msg_type"] == "stream":
            seen.append("stream: " + msg["content"]["text"])
        elif msg["msg_type"] in ("display_data", "execute_result"):
            seen.append(msg["content"]["data"]["text/plain"])
        previous = msg["msg_type"]
    expected = [text for i in range(8) for text in (f"stream: child {i}\n", str(i))]
    assert seen == [*expected, "stream: last child\n", "'result'"]


def test_fork_process_stderr_and_traceback_reach_the_cell(kernel: RunningKernel) -> None:
    _, err = run(
        kernel,
        """
        def child_fail():
            sys.stderr.write('child stderr line\\n')
            raise ValueError('child failed')
        p = mp.get_context('fork').Process(target=child_fail, name='failing-child')
        p.start(); p.join()
        assert p.exitcode == 1
        """,
    )
    assert "child stderr line" in err
    assert "Process failing-child:" in err
    assert "Traceback (most recent call last)" in err and "ValueError: child failed" in err


def test_process_pool_worker_prints_reach_the_cell_that_submits(kernel: RunningKernel) -> None:
    run(kernel, "from concurrent.futures import ProcessPoolExecutor\npool = ProcessPoolExecutor(1)")
    out, _ = run(kernel, "pool.submit(print, 'worker printing', 1).result()")
    assert "worker printing 1" in out
    out, _ = run(kernel, "pool.submit(print, 'worker printing', 2).result()\npool.shutdown()")
    assert "worker printing 2" in out and "worker printing 1" not in out


def test_os_fork_child_print_then_os_exit_reaches_the_cell(kernel: RunningKernel) -> None:
    out, _ = run(
        kernel,
        """
        pid = os.fork()
        if pid == 0:
            print('printed by the os.fork child')
            os._exit(0)
        assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
        """,
    )
    assert "printed by the os.fork child\n" in out


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_spawned_and_forkserver_children_print_into_the_cell(kernel: RunningKernel, method: str) -> None:
    out, _ = run(
        kernel,
        f"""
        p = mp.get_context('{method}').Process(target=print, args=('hello from {method}',))
        p.start(); p.join()
        assert p.exitcode == 0
        """,
    )
    assert f"hello from {method}" in out


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_spawned_and_forkserver_pool_workers_print_into_the_cell(kernel: RunningKernel, method: str) -> None:
    out, _ = run(
        kernel,
        f"""
        from concurrent.futures import ProcessPoolExecutor
        with ProcessPoolExecutor(1, mp_context=mp.get_context('{method}')) as pool:
            pool.submit(print, 'pool worker of', '{method}').result()
        """,
    )
    assert f"pool worker of {method}" in out  # flushed when the worker exits, at shutdown


def test_child_output_goes_to_its_cell_only(kernel: RunningKernel) -> None:
    code = "p = mp.get_context('fork').Process(target=print, args=('only-here',)); p.start(); p.join()"
    first = kernel.execute_request(code)
    second = kernel.execute_request("'next cell'")
    kernel.reply(first)
    kernel.reply(second)
    assert "only-here" in stream_text(kernel.iopub_until_idle(first))
    assert "only-here" not in stream_text(kernel.iopub_until_idle(second))


def test_thread_exception_goes_to_its_cell_without_kernel_frames(kernel: RunningKernel) -> None:
    _, err = run(
        kernel,
        """
        def fail():
            1 / 0
        t = threading.Thread(target=fail, name='failing-thread')
        t.start(); t.join()
        """,
    )
    assert "Exception in thread failing-thread:" in err
    assert "ZeroDivisionError: division by zero" in err
    assert "in fail" in err and "in run" in err  # the user's frame and threading's own
    assert "braid_kernel" not in err
    assert kernel.run("print('still running')").stdout == "still running\n"


def test_custom_threading_excepthook_runs_in_the_starting_cell(kernel: RunningKernel) -> None:
    _, err = run(
        kernel,
        """
        import traceback
        def hook(args):
            frames = [f.name for f in traceback.extract_tb(args.exc_traceback)]
            print('hooked', args.exc_type.__name__, frames, file=sys.stderr)
        threading.excepthook = hook
        try:
            t = threading.Thread(target=lambda: {}['k'])
            t.start(); t.join()
        finally:
            threading.excepthook = threading.__excepthook__
        """,
    )
    assert "hooked KeyError ['_bootstrap_inner', 'run', '<lambda>']" in err


def test_without_fd_capture_a_childs_output_goes_to_the_kernel_log(
    start_kernel: Callable[..., RunningKernel],
) -> None:
    k = start_kernel(extra_arguments=["--no-capture-fd"])
    code = (
        "import multiprocessing as mp\n"
        "p = mp.get_context('fork').Process(target=print, args=('uncaptured-child',)); p.start(); p.join()\n"
        "p.exitcode"
    )
    done = k.run(code)
    assert done.result == "0" and "uncaptured-child" not in done.stdout
    k.wait_for_log("uncaptured-child", timeout=15)
    assert k.run("print('next')").stdout == "next\n"
