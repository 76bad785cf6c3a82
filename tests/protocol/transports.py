"""Run a protocol test module against both transports: a kernel process and an in-process kernel.

A module whose behaviour does not depend on the transport opts in by binding these fixtures under
the names its tests use, which overrides the ZeroMQ-only ones of ``conftest.py`` for that module::

    from tests.protocol import transports

    kernel = transports.kernel  # conftest's shared kernel process, or an in-process kernel
    start_kernel = transports.start_kernel  # (conftest's fresh_kernel uses it)

Every test of the module using them then runs twice, ``[zmq]`` and ``[inprocess]``.  A test that
needs a kernel process (signals, process exit, blocking cells interrupted) keeps ``[zmq]`` only
with ``@transports.zmq_only("kernel")`` (or ``"start_kernel"``).

The kernel process of ``kernel`` is shared by the module's tests, as in ``conftest.py``; an
in-process kernel is started per test (a fresh namespace): IPython allows one shell per process,
so one in-process kernel runs at a time (pytest-xdist workers are separate processes).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.protocol.inprocess_client import InProcessRunning
from tests.protocol.kernel_client import RunningKernel

TRANSPORTS = ("zmq", "inprocess")


def zmq_only(fixture: str = "kernel") -> pytest.MarkDecorator:
    """Keep a test on a kernel process only (``fixture``: the kernel fixture it uses)."""
    return pytest.mark.parametrize(fixture, ["zmq"], indirect=True)


def _close(k: RunningKernel | InProcessRunning) -> None:
    k.close()
    if isinstance(k, RunningKernel):
        print(f"---- kernel log {k.log_path.name} ----\n{k.log_text()[-4000:]}")


@pytest.fixture(params=TRANSPORTS)
def kernel(request: pytest.FixtureRequest, kernel: RunningKernel) -> Iterator[Any]:
    """The module's kernel process (``conftest.kernel``), or an in-process kernel of this test's own."""
    if request.param == "zmq":
        yield kernel
        return
    k = InProcessRunning()
    try:
        yield k
    finally:
        _close(k)


@pytest.fixture(params=TRANSPORTS)
def start_kernel(request: pytest.FixtureRequest, braid_env: Any) -> Iterator[Callable[..., Any]]:
    """Start kernels for one test (``RunningKernel`` arguments); all are closed afterwards.

    ``conftest.fresh_kernel`` uses it too, in a module that binds it.
    """
    started: list[RunningKernel | InProcessRunning] = []

    def start(**kwargs: Any) -> RunningKernel | InProcessRunning:
        k: RunningKernel | InProcessRunning
        if request.param == "zmq":
            k = RunningKernel(braid_env.new_log(), **kwargs)
            started.append(k)
            k.wait_for_iopub()
        else:
            k = InProcessRunning(**kwargs)
            started.append(k)
        return k

    yield start
    with contextlib.ExitStack() as stack:  # close every kernel even if closing one fails
        for k in started:
            stack.callback(_close, k)
