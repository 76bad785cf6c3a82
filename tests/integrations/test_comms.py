"""CommService: comms publish through the kernel and close against the manager that holds them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import comm
import pytest
from comm.base_comm import CommManager

from braid_kernel.integrations.comms import CommService, KernelCommManager
from braid_kernel.routing.context import Request
from braid_kernel.routing.publisher import Publisher


class _Publisher:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def iopub(self, msg_type: str, content: dict[str, Any], **_: Any) -> None:
        self.sent.append((msg_type, content))


class _Scope:
    """A multi-mode scope whose running session the test chooses (None: the kernel's code)."""

    def __init__(self) -> None:
        self.running: CommManager | None = None

    def current(self) -> CommManager | None:
        return self.running

    def of_request(self, request: Request) -> CommManager | None:
        return self.running


@pytest.fixture
def scope() -> _Scope:
    return _Scope()


@pytest.fixture
def service(scope: _Scope) -> Iterator[tuple[CommService, _Publisher]]:
    saved = comm.create_comm, comm.get_comm_manager
    publisher = _Publisher()
    made = CommService(cast(Publisher, publisher), scope)
    made.install()
    yield made, publisher
    comm.create_comm, comm.get_comm_manager = saved


def test_a_comm_opened_from_the_kernel_is_published_and_registered(
    service: tuple[CommService, _Publisher],
) -> None:
    comms, publisher = service
    opened = comm.create_comm(target_name="t", data={"x": 1})
    assert comms.manager.comms == {opened.comm_id: opened}
    assert publisher.sent[0][0] == "comm_open"
    assert publisher.sent[0][1]["target_name"] == "t"


def test_close_unregisters_from_the_holding_manager_whatever_is_current(
    service: tuple[CommService, _Publisher], scope: _Scope
) -> None:
    comms, publisher = service
    opened = comm.create_comm(target_name="t")
    scope.running = KernelCommManager()  # another session's code is running now
    opened.close()  # comm's own close would unregister from `other`: KeyError
    assert comms.manager.comms == {}
    assert publisher.sent[-1][0] == "comm_close"
    opened.close()  # only once
    assert [kind for kind, _ in publisher.sent].count("comm_close") == 1


def test_a_comm_already_dropped_by_its_manager_closes_quietly(
    service: tuple[CommService, _Publisher],
) -> None:
    comms, _ = service
    opened = comm.create_comm(target_name="t")
    comms.manager.comms.clear()  # a freed session, a torn-down kernel
    opened.close()


def test_a_comm_the_frontend_opens_is_held_by_the_manager_that_got_it(
    service: tuple[CommService, _Publisher], scope: _Scope
) -> None:
    comms, _ = service
    seen: list[Any] = []
    comms.manager.register_target("t", lambda c, msg: seen.append(c))
    manager: CommManager = comms.manager
    open_from_frontend: Any = manager.comm_open  # its stream and ident arguments are unused
    open_from_frontend(
        None, None, {"content": {"comm_id": "c1", "target_name": "t", "data": {}}, "metadata": {}}
    )
    assert seen and seen[0].manager is manager
    scope.running = KernelCommManager()
    seen[0].close()
    assert "c1" not in manager.comms
