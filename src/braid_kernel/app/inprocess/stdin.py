"""``input()`` in an in-process kernel: a handler call, or the stdin channel from a thread.

Over ZeroMQ, ``input()`` sends ``input_request`` and blocks its thread until
the I/O thread delivers the ``input_reply``.  In-process, a cell usually runs
on the host's event loop thread, and blocking that thread would also stop the
loop that has to carry the request out and the reply in.  So:

* when the connection behind the request has an *input handler* (a plain
  callable taking the ``input_request`` message dict and returning the
  answer), ``input()`` calls it on the cell's thread and returns what it
  returns (what a Pyodide worker does with a synchronous round trip to its
  page);
* otherwise, on any thread but the loop's (a cell's worker thread, a
  subshell), ``input()`` takes the message path of a kernel process: the
  request goes out through the connection's ``send`` callback and the
  ``input_reply`` comes back through ``handle_message``;
* otherwise (no handler, on the loop thread) it raises
  :class:`~braid_kernel.errors.StdinNotAllowed` saying how to fix it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from braid_kernel.routing.context import Request
from braid_kernel.routing.stdin import StdinBroker
from braid_kernel.shell.stdin_refusal import StdinNotAllowed
from braid_kernel.wire import jsonutil
from braid_kernel.wire.message import JsonDict, new_header

InputHandler = Callable[[JsonDict], str]
"""Answers one ``input_request`` (the message dict) with the text typed in."""


class InProcessInput:
    """The :class:`~braid_kernel.engine.stdin.InputSource` of an in-process kernel."""

    def __init__(
        self,
        broker: StdinBroker,
        handler_for: Callable[[Request], InputHandler | None],
        session: str,
        loop_thread: int,
    ) -> None:
        self._broker = broker
        self._handler_for = handler_for
        self._session = session
        self._loop_thread = loop_thread

    def ask(self, prompt: str, password: bool, request: Request) -> str:
        handler = self._handler_for(request)
        if handler is not None:
            value = handler(self._input_request(prompt, password, request))
            return value if isinstance(value, str) else str(value)
        if threading.get_ident() == self._loop_thread:
            raise StdinNotAllowed(
                "input() on the event loop of an in-process kernel needs an input handler: "
                "pass input_handler= to InProcessKernel.client() or .connect(), "
                "or call input() from a thread (await anyio.to_thread.run_sync(input, 'prompt'))"
            )
        return self._broker.ask(prompt, password, request)

    def release_all(self) -> None:
        """Answer every ``input()`` still waiting on the stdin channel with an empty
        string (the kernel is closing: a thread blocked there would keep it open)."""
        self._broker.answer_all("")

    def _input_request(self, prompt: str, password: bool, request: Request) -> JsonDict:
        # JSON-clean (an ISO date), as the message would be on the wire.
        header = jsonutil.loads(
            jsonutil.dumps(new_header("input_request", self._session, "braid", request.msg.subshell_id))
        )
        return {
            "channel": "stdin",
            "header": header,
            "msg_id": header["msg_id"],
            "msg_type": "input_request",
            "parent_header": request.header,
            "metadata": {},
            "content": {"prompt": prompt, "password": password},
            "buffers": [],
        }
