"""asyncio as a guest of a host loop, with a plain queue standing in for the GUI toolkit.

The host runs callbacks on the test's thread, as Tk or Qt would on the main thread; the guest's
loop iterations are such callbacks, and its blocking waits happen on the helper thread.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections import deque
from collections.abc import Awaitable, Callable

import pytest

from braid_kernel.features.gui.engine.asyncio_guest import AsyncioGuest
from braid_kernel.process_hooks import WakeupFd

WAIT = 10.0


class QueueHost:
    """A toolkit stand-in: a queue of callbacks run on the thread that calls :meth:`run`."""

    name = "queue"

    def __init__(self) -> None:
        self._calls: deque[Callable[[], object]] = deque()
        self._cond = threading.Condition()
        self._stopped = False
        self.host_callbacks = 0

    def call_soon_threadsafe(self, fn: Callable[[], object]) -> None:
        with self._cond:
            self._calls.append(fn)
            self._cond.notify()

    def run(self) -> None:
        while True:
            with self._cond:
                if not self._cond.wait_for(lambda: self._calls or self._stopped, WAIT):
                    raise AssertionError("the guest stopped scheduling work")
                if self._stopped and not self._calls:
                    return
                fn = self._calls.popleft()
            self.host_callbacks += 1
            fn()

    def stop(self) -> None:
        self._stopped = True

    def close(self) -> None:
        pass


def run_as_guest(main: Callable[[], Awaitable[None]]) -> QueueHost:
    host = QueueHost()
    guest = AsyncioGuest(host, main, wakeup=WakeupFd)
    guest.start()
    host.run()
    guest.finish()
    return host


def test_timers_threads_and_sockets_work_in_the_guest() -> None:
    seen: list[object] = []
    main_thread = threading.get_ident()

    async def main() -> None:
        loop = asyncio.get_running_loop()
        await asyncio.sleep(0.05)
        seen.append(await loop.run_in_executor(None, threading.get_ident) != main_thread)
        left, right = socket.socketpair()
        reader, writer = await asyncio.open_connection(sock=left)
        right.sendall(b"over a socket\n")
        seen.append(await asyncio.wait_for(reader.readline(), WAIT))
        writer.close()
        right.close()
        seen.append(threading.get_ident() == main_thread)

    host = run_as_guest(main)
    assert seen == [True, b"over a socket\n", True]
    assert host.host_callbacks > 0


def test_host_callbacks_wake_a_waiting_guest() -> None:
    """A future resolved from a toolkit callback (not from the loop) wakes the loop's wait."""
    holder: dict[str, QueueHost] = {}

    async def main() -> None:
        future = asyncio.get_running_loop().create_future()
        timer = threading.Timer(
            0.1, lambda: holder["host"].call_soon_threadsafe(lambda: future.set_result(7))
        )
        timer.start()
        assert await asyncio.wait_for(future, WAIT) == 7

    host = QueueHost()
    holder["host"] = host
    guest = AsyncioGuest(host, main, wakeup=WakeupFd)
    guest.start()
    host.run()
    guest.finish()


def test_main_error_is_raised_after_the_host_loop_ends() -> None:
    async def main() -> None:
        await asyncio.sleep(0)
        raise LookupError("from the guest")

    with pytest.raises(LookupError, match="from the guest"):
        run_as_guest(main)


def test_pending_tasks_are_cancelled_when_main_returns() -> None:
    cancelled: list[bool] = []

    async def forever() -> None:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    async def main() -> None:
        asyncio.get_running_loop().create_task(forever())
        await asyncio.sleep(0.01)

    run_as_guest(main)
    assert cancelled == [True]
