"""The handler tables of app/handlers.py, with their collaborators faked."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest

from braid_kernel.app import handlers
from braid_kernel.app.shells import ShellFactory
from braid_kernel.app.shutdown import Shutdown
from braid_kernel.routing.context import Request


def _interrupt(multi: bool) -> tuple[list[Any], Any]:
    calls: list[Any] = []
    shells = SimpleNamespace(multi=multi, interrupt=lambda request: calls.append(("main", request.received)))
    handle = handlers.interrupt(cast(ShellFactory, shells), lambda at: calls.append(("subshells", at)))
    return calls, handle


def test_an_interrupt_reaches_the_subshells_then_the_main_shell() -> None:
    calls, handle = _interrupt(multi=False)
    assert handle(cast(Request, SimpleNamespace(received=12.5))) == {"status": "ok"}
    assert calls == [("subshells", 12.5), ("main", 12.5)]


def test_in_multi_mode_an_interrupt_is_the_senders_sessions_only() -> None:
    calls, handle = _interrupt(multi=True)
    handle(cast(Request, SimpleNamespace(received=3.0)))
    assert calls == [("main", 3.0)]  # ShellFactory.interrupt picks the session


@pytest.mark.parametrize("restart", [False, True])
def test_shutdown_replies_on_iopub_and_to_the_request_then_ends_the_kernel(restart: bool) -> None:
    sent: list[tuple[str, str, Any]] = []
    publisher = SimpleNamespace(
        iopub=lambda msg_type, content, request: sent.append(("iopub", msg_type, content)),
        reply=lambda request, msg_type, content: sent.append(("reply", msg_type, content)),
    )
    ending = Shutdown()
    request = SimpleNamespace(field=lambda name, default=None: restart if name == "restart" else default)
    handlers.shutdown(cast(Any, publisher), ending)(cast(Request, request))
    content = {"status": "ok", "restart": restart}
    assert sent == [("iopub", "shutdown_reply", content), ("reply", "shutdown_reply", content)]
    assert ending.requested
