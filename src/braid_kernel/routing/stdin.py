"""stdin: ``input_request`` out, the matching ``input_reply`` back.

A cell's thread calls :meth:`StdinBroker.ask` and blocks until the reply
arrives on the I/O thread.  A reply answers only a question of its own:

* with a parent ``msg_id`` (JupyterLab), the question it names; a reply naming
  a question that is not pending (answered, interrupted) is dropped;
* without one (jupyter_client's ``kc.input()`` sends only ``{"value": ...}``),
  the oldest question asked by the same client session (header ``session``);
  when that session asked nothing, it is dropped — never given to another
  session's question (in multi mode each notebook is a session, see README).

Dropped replies are logged as warnings.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from braid_kernel.routing.context import Request
from braid_kernel.transport.outbox import Outbox, Outgoing
from braid_kernel.wire.channels import Channel
from braid_kernel.wire.message import Message, new_header

log = logging.getLogger("braid_kernel.routing")
INTERRUPT_CHECK = 0.05  # seconds between checks for an interrupt while input() waits


@dataclass(slots=True)
class _Question:
    client: object = None  # the asking request's header session
    answered: threading.Event = field(default_factory=threading.Event)
    value: str = ""


class StdinBroker:
    """Asks the frontend for input on behalf of a request; thread-safe."""

    def __init__(self, outbox: Outbox, session: str, username: str) -> None:
        self._outbox = outbox
        self._session = session
        self._username = username
        self._pending: OrderedDict[str, _Question] = OrderedDict()
        self._lock = threading.Lock()

    def ask(self, prompt: str, password: bool, request: Request) -> str:
        """Send ``input_request`` to the client behind ``request`` and wait for its reply.

        Blocks the calling thread; a KeyboardInterrupt (interrupt) ends the wait.
        """
        header = new_header("input_request", self._session, self._username, request.msg.subshell_id)
        question = _Question(request.header.get("session"))
        with self._lock:
            self._pending[header["msg_id"]] = question
        try:
            self._outbox.post(
                Outgoing(
                    Channel.STDIN,
                    "input_request",
                    {"prompt": prompt, "password": password},
                    request.header,
                    None,
                    request.msg.identities,
                    (),
                    header,
                )
            )
            # Wake up now and then: a subshell thread cannot get a signal, and an
            # interrupt raised into it asynchronously only lands between bytecodes.
            while not question.answered.wait(INTERRUPT_CHECK):
                pass
            return question.value
        finally:
            with self._lock:
                self._pending.pop(header["msg_id"], None)

    def answer_all(self, value: str = "") -> int:
        """Answer every open question with ``value`` (the kernel is closing: a thread blocked in
        ``input()`` would keep it open); returns how many were answered."""
        with self._lock:
            questions = list(self._pending.values())
        for question in questions:
            question.value = value
            question.answered.set()
        return len(questions)

    def deliver(self, reply: Message) -> None:
        """Hand an ``input_reply`` to the question it answers (I/O thread)."""
        if reply.msg_type != "input_reply":
            log.warning("ignored %r on the stdin channel", reply.msg_type)
            return
        parent_id = reply.parent_header.get("msg_id")
        client = reply.header.get("session")
        with self._lock:
            if parent_id:
                question = self._pending.get(parent_id) if isinstance(parent_id, str) else None
            else:
                question = next((q for q in self._pending.values() if q.client == client), None)
        if question is None and parent_id:
            log.warning("input_reply for a question that is not pending (%r): dropped", parent_id)
            return
        if question is None:
            log.warning(
                "input_reply without a parent from a session that asked nothing (%r): dropped", client
            )
            return
        value = reply.content.get("value", "")
        question.value = value if isinstance(value, str) else str(value)
        question.answered.set()
