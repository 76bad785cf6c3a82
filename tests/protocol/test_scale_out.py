"""Dask from braid cells against a real loopback cluster (issue 19): concurrent cells overlap on
the workers, an interrupt (or ``%braid cancel``) cancels the cell's pending futures, and a trio
kernel keeps an asynchronous client across cells through its persistent asyncio loop.

One ``LocalCluster`` (one worker process, two threads) serves the whole module; the test process
watches the scheduler through its own client.  Tasks that must stay busy wait on a Dask
``Event`` the test sets when done, so a cancelled task's worker thread is freed deterministically.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.protocol.kernel_client import RunningKernel

distributed = pytest.importorskip(
    "distributed", reason="the scale extra (dask[distributed]) is not installed"
)

pytestmark = pytest.mark.timeout(180)

POLL = 0.02  # seconds between two looks at the scheduler (the state is what we wait for)

TASKS = """
import time
from distributed import Event

def timed(seconds):
    started = time.time()
    time.sleep(seconds)
    return started, time.time()

def hold(name):
    Event(name).wait(120)
    return name
"""


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    with distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=2,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    ) as local:
        yield local


@pytest.fixture(scope="module")
def watcher(cluster: Any) -> Iterator[Any]:
    """The test's own (synchronous) client: reads the scheduler's state, sets events."""
    with distributed.Client(cluster) as client:
        yield client


def wait_until(predicate: Callable[[], bool], what: str, timeout: float = 60.0) -> float:
    """Poll until ``predicate()``; the seconds it took."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(POLL)
    return time.monotonic() - started


def processing(watcher: Any) -> set[str]:
    """Keys the scheduler has on a worker now."""
    return {str(key) for keys in watcher.processing().values() for key in keys}


def release(watcher: Any, *names: str) -> None:
    for name in names:
        distributed.Event(name, client=watcher).set()


def connect(k: RunningKernel, cluster: Any, *, foreign: bool = False) -> None:
    k.run(TASKS)
    address = cluster.scheduler_address
    code = f"from distributed import Client\nclient = await Client({address!r}, asynchronous=True)"
    k.run(f"%%asyncio\n{code}" if foreign else code)


def test_concurrent_cells_awaiting_dask_tasks_overlap_on_the_workers(
    start_kernel: Callable[..., RunningKernel], cluster: Any
) -> None:
    """Two cells each awaiting a 1.5 s task: in concurrent mode the tasks run at the same time
    (by the times the worker itself reports), in chained mode one after the other."""
    spans: dict[str, float] = {}
    for name in ("braid-concurrent", "braid"):
        k = start_kernel(kernel_name=name)
        connect(k, cluster)
        first = k.execute_request("first = await client.submit(timed, 1.5, pure=False)")
        second = k.execute_request("second = await client.submit(timed, 1.5, pure=False)")
        assert k.finish(first).status == "ok" and k.finish(second).status == "ok"
        overlap = float(k.value("min(first[1], second[1]) - max(first[0], second[0])"))
        spans[name] = float(k.value("max(first[1], second[1]) - min(first[0], second[0])"))
        if name == "braid-concurrent":
            assert overlap > 0, f"the concurrent cells' tasks did not overlap ({overlap:.3f}s)"
        else:
            assert overlap <= 0, f"chained cells' tasks overlapped ({overlap:.3f}s)"
    concurrent, chained = spans["braid-concurrent"], spans["braid"]
    print(f"two 1.5 s Dask tasks from two cells: concurrent {concurrent:.2f}s, chained {chained:.2f}s")


def test_interrupt_cancels_the_cells_pending_future_and_frees_the_worker(
    start_kernel: Callable[..., RunningKernel], cluster: Any, watcher: Any
) -> None:
    k = start_kernel(kernel_name="braid-concurrent")
    connect(k, cluster)
    event = f"hold-{uuid.uuid4().hex[:8]}"
    key = f"interrupted-{event}"
    cell = k.execute_request(f"slow = client.submit(hold, {event!r}, key={key!r})\nawait slow")
    wait_until(lambda: key in processing(watcher), "the task to run on the worker")
    sent = time.monotonic()
    k.request("interrupt_request", channel="control")
    done = k.finish(cell, timeout=30)
    replied = time.monotonic() - sent
    assert done.status == "error" and done.content["ename"] == "KeyboardInterrupt", done.describe()
    freed = replied + wait_until(lambda: key not in processing(watcher), "the worker to drop the task")
    assert k.value("slow.status") == "'cancelled'"
    assert processing(watcher) == set(), "the worker is still busy for the scheduler"
    release(watcher, event)
    print(
        f"interrupt: cell replied in {replied * 1000:.0f} ms, task off the worker after {freed * 1000:.0f} ms"
    )


def test_only_the_interrupted_cells_own_futures_are_cancelled(
    start_kernel: Callable[..., RunningKernel], cluster: Any, watcher: Any
) -> None:
    """A future an earlier (finished) cell created keeps running when a later cell awaiting it is
    interrupted; ``%braid cancel-work off`` keeps the cell's own futures running too."""
    k = start_kernel(kernel_name="braid")
    connect(k, cluster)
    earlier, own = (f"hold-{uuid.uuid4().hex[:8]}" for _ in range(2))
    k.run(f"earlier = client.submit(hold, {earlier!r}, key='earlier-{earlier}')")
    cell = k.execute_request("await earlier")
    wait_until(lambda: f"earlier-{earlier}" in processing(watcher), "the earlier cell's task to run")
    k.request("interrupt_request", channel="control")
    assert k.finish(cell, timeout=30).content["ename"] == "KeyboardInterrupt"
    assert k.value("earlier.status") == "'pending'", "a finished cell's future was cancelled"

    k.run("%braid cancel-work off")
    cell = k.execute_request(f"own = client.submit(hold, {own!r}, key='own-{own}')\nawait own")
    wait_until(lambda: f"own-{own}" in processing(watcher), "the cell's own task to run")
    k.request("interrupt_request", channel="control")
    assert k.finish(cell, timeout=30).content["ename"] == "KeyboardInterrupt"
    assert k.value("own.status") == "'pending'", "cancel-work off still cancelled"
    assert processing(watcher) >= {f"earlier-{earlier}", f"own-{own}"}
    assert "cancel-work: off" in k.run("%braid cancel-work").stdout
    release(watcher, earlier, own)
    assert k.value("(await earlier, await own)") == repr((earlier, own))


def test_braid_cancel_keeps_futures_bound_to_names(
    start_kernel: Callable[..., RunningKernel], cluster: Any, watcher: Any
) -> None:
    """``%braid cancel N`` stops cell N while other cells go on: N's pending futures are
    cancelled except the ones a global name holds (another cell may await them)."""
    k = start_kernel(kernel_name="braid-concurrent")
    connect(k, cluster)
    named, unnamed = (f"hold-{uuid.uuid4().hex[:8]}" for _ in range(2))
    cell = k.execute_request(
        f"shared = client.submit(hold, {named!r}, key='named-{named}')\n"
        f"await client.gather([shared, client.submit(hold, {unnamed!r}, key='unnamed-{unnamed}')])"
    )
    started = k.iopub_wait(cell, lambda m: m["msg_type"] == "execute_input", what="execute_input")
    keys = {f"named-{named}", f"unnamed-{unnamed}"}
    wait_until(lambda: processing(watcher) >= keys, "both tasks to run")
    k.run(f"%braid cancel {started['content']['execution_count']}")
    assert k.finish(cell, timeout=30).content["ename"] == "KeyboardInterrupt"
    wait_until(lambda: f"unnamed-{unnamed}" not in processing(watcher), "the unnamed future's cancellation")
    assert k.value("shared.status") == "'pending'"
    assert f"named-{named}" in processing(watcher)
    release(watcher, named, unnamed)
    assert k.value("await shared") == repr(named)


def test_trio_kernel_keeps_an_async_client_across_cells(
    start_kernel: Callable[..., RunningKernel], cluster: Any, watcher: Any
) -> None:
    """On trio, the asynchronous client lives on the kernel's persistent asyncio loop: made in one
    cell, used in the next; an interrupt of a cell awaiting it through %asyncio cancels the
    cell's future there."""
    k = start_kernel(kernel_name="braid-trio")
    connect(k, cluster, foreign=True)
    assert k.value("%asyncio await client.submit(timed, 0, pure=False) and 'ok'") == "'ok'"
    event = f"hold-{uuid.uuid4().hex[:8]}"
    key = f"trio-{event}"
    cell = k.execute_request(f"%%asyncio\nslow = client.submit(hold, {event!r}, key={key!r})\nawait slow")
    wait_until(lambda: key in processing(watcher), "the task to run on the worker")
    k.request("interrupt_request", channel="control")
    done = k.finish(cell, timeout=30)
    assert done.status == "error" and done.content["ename"] == "KeyboardInterrupt", done.describe()
    wait_until(lambda: key not in processing(watcher), "the worker to drop the task")
    assert k.value("slow.status") == "'cancelled'"
    release(watcher, event)
    assert k.value("%asyncio (await client.submit(timed, 0, pure=False))[1] > 0") == "True"


def test_interrupt_of_a_cell_blocking_on_a_sync_client_cancels_its_futures(
    start_kernel: Callable[..., RunningKernel], cluster: Any, watcher: Any
) -> None:
    """The common case: a synchronous client, the cell blocked in ``gather`` (KeyboardInterrupt
    raised into it); the cell's futures, bound to a name or not, are cancelled."""
    k = start_kernel(kernel_name="braid")
    k.run(TASKS)
    k.run(f"from distributed import Client\nsync_client = Client({cluster.scheduler_address!r})")
    first, second = (f"hold-{uuid.uuid4().hex[:8]}" for _ in range(2))
    keys = {f"sync-{first}", f"sync-{second}"}
    cell = k.execute_request(
        f"batch = [sync_client.submit(hold, name, key=f'sync-{{name}}') for name in {[first, second]!r}]\n"
        "sync_client.gather(batch)"
    )
    wait_until(lambda: processing(watcher) >= keys, "both tasks to run")
    k.request("interrupt_request", channel="control")
    done = k.finish(cell, timeout=30)
    assert done.status == "error" and done.content["ename"] == "KeyboardInterrupt", done.describe()
    wait_until(lambda: not processing(watcher) & keys, "the worker to drop both tasks")
    assert k.value("[f.status for f in batch]") == "['cancelled', 'cancelled']"
    release(watcher, first, second)
    k.run("sync_client.close()")


def test_cancel_work_off_from_the_profiles_exec_lines(
    start_kernel: Callable[..., RunningKernel], tmp_path: Path
) -> None:
    """The per-kernel opt-out as a setting: ``exec_lines`` in ipython_kernel_config.py."""
    profile = tmp_path / "ipython" / "profile_default"
    profile.mkdir(parents=True)
    config = 'c.InteractiveShellApp.exec_lines = ["%braid cancel-work off"]\n'
    (profile / "ipython_kernel_config.py").write_text(config)
    k = start_kernel(env={**os.environ, "IPYTHONDIR": str(tmp_path / "ipython")})
    assert "cancel-work: off" in k.run("%braid cancel-work").stdout
    k.run("%braid cancel-work on")
    assert "cancel-work: on" in k.run("%braid cancel-work").stdout
