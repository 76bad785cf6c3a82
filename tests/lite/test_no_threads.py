"""Where no thread can start (Pyodide), and a subshell whose thread fails to start anywhere.

Under ``sys.platform == "emscripten"`` :data:`braid_kernel.routing.platform.CAN_START_THREADS` is
false; here it is patched false on the host, and ``Thread.start`` is made to fail, so each part
that needs a thread shows what it does without one: kernel_info advertises no subshells and
``create_subshell_request`` gets an error reply, cache mode writes its entries on the cell's
thread, multi mode's sampler does not start.  The Node test (test_pyodide.py) checks the same in
the real Pyodide.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from braid_kernel import InProcessKernel
from braid_kernel.features.cache.engine.store import CacheStore
from braid_kernel.features.multi.engine import MainThreadSampler
from braid_kernel.routing import platform

pytestmark = [pytest.mark.timeout(60), pytest.mark.anyio]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def no_threads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The platform says no thread can start; ``Thread.start`` of braid's threads records and
    fails (as Pyodide's does), so a part that still tries is seen."""
    tried: list[str] = []
    original = threading.Thread.start

    def start(self: threading.Thread) -> None:
        if self.name.startswith("braid-"):
            tried.append(self.name)
            raise RuntimeError("can't start new thread")
        original(self)

    monkeypatch.setattr(platform, "CAN_START_THREADS", False)
    monkeypatch.setattr(threading.Thread, "start", start)
    yield tried


async def _supported_features() -> list[str]:
    async with InProcessKernel() as kernel:
        reply = await kernel.client().request("kernel_info_request", {})
        features: list[str] = reply["content"]["supported_features"]
        return features


async def test_kernel_info_advertises_subshells_only_where_threads_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert "kernel subshells" in await _supported_features()
    monkeypatch.setattr("braid_kernel.features.subshells.feature.CAN_START_THREADS", False)
    assert "kernel subshells" not in await _supported_features()


async def test_create_subshell_is_refused_with_an_error_reply(no_threads: list[str]) -> None:
    async with InProcessKernel() as kernel:
        client = kernel.client()
        reply = (await client.request("create_subshell_request", {}, channel="control"))["content"]
        assert (reply["status"], reply["ename"]) == ("error", "UnavailableHere")
        assert "cannot start threads" in reply["evalue"]
        listed = (await client.request("list_subshell_request", {}, channel="control"))["content"]
        assert listed["subshell_id"] == []
    assert no_threads == []


async def test_a_subshell_whose_thread_fails_to_start_is_not_left_registered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # on every platform: before the fix the entry stayed, and leaving the kernel failed with
    # "cannot join thread before it is started"
    original = threading.Thread.start

    def start(self: threading.Thread) -> None:
        if self.name.startswith("braid-subshell-"):
            raise RuntimeError("can't start new thread")
        original(self)

    kernel = InProcessKernel()
    async with kernel:
        client = kernel.client()
        with monkeypatch.context() as patched:
            patched.setattr(threading.Thread, "start", start)
            reply = (await client.request("create_subshell_request", {}, channel="control"))["content"]
        assert (reply["status"], reply["evalue"]) == ("error", "can't start new thread")
        listed = (await client.request("list_subshell_request", {}, channel="control"))["content"]
        assert listed["subshell_id"] == []
        assert kernel.parts.registry.subshells() == []
    assert kernel.stopped


def _store(tmp_path: Path) -> CacheStore:
    return CacheStore(tmp_path / "store", 10**6, tmp_path / "secret")


def test_cache_entries_are_written_at_once_without_a_writer_thread(
    tmp_path: Path, no_threads: list[str]
) -> None:
    store = _store(tmp_path)
    store.put("a" * 64, b"payload")
    assert no_threads == []
    assert store.write_error is None
    store.flush()
    store.close()
    assert bytes(_store(tmp_path).get("a" * 64) or b"") == b"payload"  # on disk, read by another store


def test_multi_modes_sampler_does_not_start(no_threads: list[str]) -> None:
    sampler = MainThreadSampler(lambda ns: None, lambda name: False)
    sampler.start()
    sampler.stop()
    assert no_threads == []
    assert not sampler.thread.is_alive()


def test_gui_loops_are_refused_in_the_browser_without_suggesting_a_kernelspec(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from braid_kernel.features.gui.shell import check_gui_request

    with pytest.raises(RuntimeError, match="pick a kernel installed with"):
        check_gui_request("tk", None)
    monkeypatch.setattr(platform, "IN_BROWSER", True)
    with pytest.raises(RuntimeError, match=r"not available in the browser \(Pyodide has no Tk or Qt\)"):
        check_gui_request("tk", None)
    check_gui_request("inline", None)


def test_multi_mode_is_refused_by_the_jupyterlite_bridge() -> None:
    from braid_kernel.app.lite import LiteBridge
    from braid_kernel.errors import ConfigError

    with pytest.raises(ConfigError, match="leave multi out"):
        LiteBridge(lambda text, buffers: None, modes="multi")
