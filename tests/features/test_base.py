"""The Feature record and how the root merges what features add."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

from IPython.core.magic import Magics, line_magic, magics_class

from braid_kernel.engine.scheduler import Scheduler
from braid_kernel.features.base import (
    Feature,
    control_handlers_of,
    kernel_info_features_of,
    merge_into,
    names_of,
)
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
