"""SubshellManager: each subshell a thread with its own loop; deletion is graceful, then forced."""

from __future__ import annotations

import threading

import anyio
import pytest

from braid_kernel.errors import UnknownSubshell
from braid_kernel.routing.inbox import ShellInbox
from braid_kernel.routing.router import ShellRegistry
from braid_kernel.routing.subshells import SubshellManager

WAIT = 10.0


class Served:
    """A serve coroutine that drains its inbox, remembering what happened."""

    def __init__(self, finish_on_close: bool = True) -> None:
        self.finish_on_close = finish_on_close
        self.threads: dict[str, str] = {}
        self.ended: list[str] = []
        self.cancelled: list[str] = []

    async def __call__(self, sid: str, inbox: ShellInbox) -> None:
        self.threads[sid] = threading.current_thread().name
        try:
            async for _ in inbox.receive:
                pass
            if not self.finish_on_close:
                await anyio.sleep_forever()  # a cell that ignores the deletion
        except anyio.get_cancelled_exc_class():
            self.cancelled.append(sid)
            raise
        finally:
            self.ended.append(sid)


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_create_runs_each_subshell_on_its_own_thread_and_registers_it(backend: str) -> None:
    registry, served = ShellRegistry(), Served()
    manager = SubshellManager(registry, served, backend)
    first, second = manager.create(), manager.create()
    assert sorted(manager.list()) == sorted([first, second])
    assert registry.get(first) is not None and registry.get(second) is not None
    assert served.threads[first] != served.threads[second]
    assert all(name.startswith("braid-subshell-") for name in served.threads.values())
    manager.delete_all()
    assert manager.list() == [] and registry.get(first) is None
    assert sorted(served.ended) == sorted([first, second])


def test_delete_asks_to_cancel_then_closes_the_inbox_gracefully() -> None:
    registry, served = ShellRegistry(), Served()
    cancelled: list[str] = []
    manager = SubshellManager(registry, served, cancel=cancelled.append)
    sid = manager.create()
    manager.delete(sid)
    assert cancelled == [sid]
    assert served.ended == [sid] and served.cancelled == []  # ended by itself, not cancelled
    with pytest.raises(UnknownSubshell):
        manager.delete(sid)


def test_a_subshell_that_does_not_end_is_cancelled_after_the_grace_period() -> None:
    registry, served = ShellRegistry(), Served(finish_on_close=False)
    manager = SubshellManager(registry, served, grace=0.2)
    sid = manager.create()
    manager.delete(sid)
    assert served.cancelled == [sid]


def test_a_serve_coroutine_per_subshell() -> None:
    registry, default, special = ShellRegistry(), Served(), Served()
    manager = SubshellManager(registry, default)
    plain, other = manager.create(), manager.create(special)
    assert list(default.threads) == [plain] and list(special.threads) == [other]
    manager.delete_all()
