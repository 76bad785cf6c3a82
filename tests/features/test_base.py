"""The Feature record and how the root merges what features add."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest
from IPython.core.magic import Magics, line_magic, magics_class

from braid_kernel.engine.scheduler import Scheduler
from braid_kernel.features.base import (
    Feature,
    SessionKit,
    Sessions,
    close_of,
    comm_scope_of,
    control_handlers_of,
    interrupt_of,
    kernel_info_features_of,
    merge_into,
    names_of,
    runner_layers_of,
    sessions_of,
)
from braid_kernel.integrations.comms import CommScope
from braid_kernel.routing.context import Request
from braid_kernel.shell.braid_magic import BraidCommands, Subcommand
from braid_kernel.shell.ipshell import ZMQInteractiveShell


@magics_class
class _Hello(Magics):  # type: ignore[misc]
    @line_magic  # type: ignore[untyped-decorator]
    def hello(self, line: str) -> str:
        return line


def _upper(lines: list[str]) -> list[str]:
    return [line.upper() for line in lines]


def _strip(lines: list[str]) -> list[str]:
    return [line.strip() for line in lines]


def _shell() -> Any:
    registered: list[type[Magics]] = []
    return SimpleNamespace(
        braid=BraidCommands(),
        registered=registered,
        register_magics=registered.append,
        input_transformers_cleanup=[_strip],
        input_transformers_post=[_strip],
    )


def test_merge_into_registers_every_features_subcommands_magics_and_transformers() -> None:
    shell = _shell()
    one = Feature(
        "one",
        subcommands=(Subcommand("ping", lambda args, cell: "pong", "ping", "answer pong"),),
        magics=(_Hello,),
        cleanup_transformers=(_upper,),
    )
    two = Feature("two", post_transformers=(_upper,))
    merge_into(cast(ZMQInteractiveShell, shell), [one, two])
    assert shell.braid("ping") == "pong"
    assert shell.registered == [_Hello]
    assert shell.input_transformers_cleanup == [_upper, _strip]  # before IPython's: it runs first
    assert shell.input_transformers_post == [_strip, _upper]  # after IPython's own


def test_kernel_names_are_merged_per_scheduler_in_feature_order() -> None:
    scheduler = cast(Scheduler, SimpleNamespace(chain=len))
    first = Feature("first", kernel_names=lambda s: {"shared": 1, "chain": s.chain})
    second = Feature("second", kernel_names=lambda s: {"shared": 2})
    names = names_of([first, Feature("none"), second])
    assert names(scheduler) == {"shared": 2, "chain": len}


def test_control_handlers_and_kernel_info_features_come_from_every_feature() -> None:
    def debug(request: Request) -> None:
        del request

    features = [
        Feature("debugger", control_handlers={"debug_request": debug}, kernel_info_features=("debugger",)),
        Feature("subshells", kernel_info_features=("kernel subshells",)),
    ]
    assert control_handlers_of(features) == {"debug_request": debug}
    assert kernel_info_features_of(features) == ["debugger", "kernel subshells"]


def test_shell_parts_runner_layers_and_hooks_come_from_every_feature_in_order() -> None:
    calls: list[object] = []
    first = Feature(
        "first",
        runner=lambda inner, session: inner,
        interrupt=lambda at: calls.append(("first", at)),
        close=lambda: calls.append("first closed"),
    )
    second = Feature(
        "second",
        interrupt=lambda at: calls.append(("second", at)),
        close=lambda: calls.append("second closed"),
    )
    assert runner_layers_of([first, second]) == [first.runner]
    interrupt_of([first, second])(2.0)
    close_of(reversed([first, second]))()
    assert calls == [("first", 2.0), ("second", 2.0), "second closed", "first closed"]


def test_at_most_one_feature_scopes_the_comms_and_routes_sessions() -> None:
    scope = cast(CommScope, object())
    assert comm_scope_of([Feature("plain")]) is None
    assert comm_scope_of([Feature("plain"), Feature("multi", comm_scope=scope)]) is scope
    with pytest.raises(ValueError, match="two features"):
        comm_scope_of([Feature("a", comm_scope=scope), Feature("b", comm_scope=scope)])
    kit = cast(SessionKit, object())
    router = cast(Sessions, object())
    assert sessions_of([Feature("plain")], kit) is None
    given: list[SessionKit] = []

    def build(kit: SessionKit) -> Sessions:
        given.append(kit)
        return router

    assert sessions_of([Feature("multi", sessions=build)], kit) is router
    assert given == [kit]
