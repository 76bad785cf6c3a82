"""The startup gate says when it has handed over to the router (what the remote launcher waits for)."""

from __future__ import annotations

from typing import cast

from braid_kernel.routing.router import Router
from braid_kernel.routing.startup import StartupGate
from braid_kernel.wire.codec import WireCodec
from braid_kernel.wire.signing import Signer


class _Router:
    def __init__(self) -> None:
        self.routed: list[object] = []

    def route(self, request: object) -> None:
        self.routed.append(request)


def test_opened_is_set_once_the_router_takes_over() -> None:
    gate = StartupGate(WireCodec(Signer(b"key"), "kernel-session", "kernel"))
    assert not gate.opened.is_set()
    gate.open(cast(Router, _Router()))
    assert gate.opened.is_set()
