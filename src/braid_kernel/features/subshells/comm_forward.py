"""Comm messages that arrive on a subshell, handled on the main shell's loop.

JupyterLab (4.4+, setting ``commsOverSubshells``, on by default) sends widget
comm messages over a subshell of their own when a kernel supports subshells.
The callbacks they trigger (``slider.observe``, ``comm.on_msg``) belong to the
notebook, whose code runs on the main loop: a callback that resolves an
asyncio future a cell awaits must run there, or the loop never wakes (the
ipykernel #646 scenario).  So a shared subshell forwards comm messages to the
main loop and waits for them to be handled; only while the main thread is
blocked in a cell's synchronous code does it handle them on its own thread,
which keeps widgets responsive during ``time.sleep`` as JupyterLab intends.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from typing import Any

import anyio

from braid_kernel.routing.context import Request
from braid_kernel.routing.dispatch import Handler, call_handler
from braid_kernel.routing.loopbridge import LoopBridge


def forward_to_main(
    handler: Handler, main: Callable[[], LoopBridge | None], blocked: Callable[[], bool]
) -> Handler:
    """Wrap a comm ``handler`` of a shared subshell (see the module docstring).

    ``main`` gives the main loop's bridge (None before it serves); ``blocked``
    says whether the main thread runs a cell's synchronous code right now.
    """

    async def forward(request: Request) -> Any:
        bridge = main()
        if bridge is None or blocked():
            return await call_handler(handler, request)
        back = LoopBridge.for_current_loop()
        done = anyio.Event()
        outcome: dict[str, Any] = {}
        context = contextvars.copy_context()  # the request's parent header, on the main loop

        def run() -> None:
            try:
                outcome["value"] = context.run(handler, request)
            except BaseException as exc:
                outcome["error"] = exc
            finally:
                back.call_soon(done.set)

        if not bridge.call_soon(run):
            return await call_handler(handler, request)
        await done.wait()
        if "error" in outcome:
            raise outcome["error"]
        return outcome.get("value")

    return forward
