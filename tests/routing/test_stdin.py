"""stdin: input_request to the asking client, and each input_reply to the question it answers.

``StdinBroker.ask`` blocks the calling thread (a cell's), so each question is
asked from a thread of the test; replies arrive through the router on the
stdin channel, as the I/O thread would deliver them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from braid_kernel.routing.context import Request
from braid_kernel.wire.channels import Channel
from braid_kernel.wire.message import JsonDict, Message
from tests.routing.rig import WAIT, Rig


@dataclass
class Asker:
    """A thread blocked in ``StdinBroker.ask`` for one request."""

    request: Request
    answers: list[str] = field(default_factory=list)
    question: Message | None = None  # the input_request it sent
    thread: threading.Thread | None = None

    def start(self, rig: Rig, prompt: str, password: bool) -> None:
        def run() -> None:
            self.answers.append(rig.stdin.ask(prompt, password, self.request))

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def waiting(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def answer(self) -> str:
        assert self.thread is not None
        self.thread.join(WAIT)
        assert not self.thread.is_alive(), "input() is still waiting"
        return self.answers[0]


@pytest.fixture
def askers(rig: Rig) -> Iterator[list[Asker]]:
    started: list[Asker] = []
    yield started
    stuck = [a for a in started if a.waiting()]
    for asker in stuck:  # never leave a thread blocked in ask()
        reply(rig, "", None if asker.question is None else asker.question.header)
    assert not stuck, "a question never got its reply"


def ask(
    rig: Rig,
    askers: list[Asker],
    prompt: str,
    *,
    password: bool = False,
    subshell_id: str | None = None,
    identity: bytes = b"frontend-1",
    session: str | None = None,
) -> tuple[Asker, Message]:
    """Start a thread asking ``prompt``; return it and the input_request the client received.
    ``session`` stands for another client session than the rig client's."""
    frames, _ = rig.client.frames(
        "execute_request",
        {"code": "input()", "allow_stdin": True},
        subshell_id=subshell_id,
        identity=identity,
    )
    msg = rig.codec.decode(frames)
    if session is not None:
        msg.header["session"] = session
    asker = Asker(Request(msg, Channel.SHELL))
    askers.append(asker)
    asker.start(rig, prompt, password)
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        sent = rig.sent()
        if sent:
            [(channel, question)] = sent
            assert channel is Channel.STDIN
            asker.question = question
            return asker, question
        time.sleep(0.001)
    raise AssertionError("no input_request was sent")


def reply(rig: Rig, value: object, parent: JsonDict | None, *, status: bool = True) -> None:
    content: JsonDict = {"value": value, "status": "ok"} if status else {"value": value}
    rig.send(Channel.STDIN, "input_reply", content, parent=parent)


def test_input_request_goes_to_the_asking_client_parented_to_its_request(
    rig: Rig, askers: list[Asker]
) -> None:
    asker, question = ask(rig, askers, "Name? ", password=True, identity=b"the-asker")
    assert question.msg_type == "input_request"
    assert question.content == {"prompt": "Name? ", "password": True}
    assert question.parent_header == asker.request.header
    assert question.identities == (b"the-asker",)
    reply(rig, "x", question.header)
    assert asker.answer() == "x"


def test_input_request_of_a_subshell_names_the_subshell(rig: Rig, askers: list[Asker]) -> None:
    asker, question = ask(rig, askers, "? ", subshell_id="sub-1")
    assert question.header["subshell_id"] == "sub-1"
    reply(rig, "y", question.header)
    assert asker.answer() == "y"


def test_reply_is_matched_to_its_question_by_parent(rig: Rig, askers: list[Asker]) -> None:
    first, q1 = ask(rig, askers, "first? ")
    second, q2 = ask(rig, askers, "second? ")

    reply(rig, "to second", q2.header)
    assert second.answer() == "to second"
    assert first.waiting()

    reply(rig, "to first", q1.header)
    assert first.answer() == "to first"


def test_reply_without_parent_answers_the_oldest_question(rig: Rig, askers: list[Asker]) -> None:
    # jupyter_client's kc.input() sends only {"value": ...}, with an empty parent header.
    first, _ = ask(rig, askers, "first? ")
    second, _ = ask(rig, askers, "second? ")

    reply(rig, "one", None, status=False)
    assert first.answer() == "one"
    assert second.waiting()

    reply(rig, "two", None, status=False)
    assert second.answer() == "two"


def test_non_string_value_is_converted_to_text(rig: Rig, askers: list[Asker]) -> None:
    asker, question = ask(rig, askers, "? ")
    reply(rig, 42, question.header)
    assert asker.answer() == "42"


def test_reply_with_no_pending_question_is_dropped(rig: Rig) -> None:
    reply(rig, "nobody asked", {"msg_id": "gone"})
    assert rig.sent() == []


def test_other_messages_on_stdin_are_ignored(rig: Rig, askers: list[Asker]) -> None:
    asker, question = ask(rig, askers, "? ")
    rig.send(Channel.STDIN, "execute_request", {"code": "1"})
    assert asker.waiting()
    reply(rig, "real", question.header)
    assert asker.answer() == "real"


def test_reply_without_parent_answers_only_its_own_client_sessions_question(
    rig: Rig, askers: list[Asker], caplog: pytest.LogCaptureFixture
) -> None:
    # Multi mode: two notebooks (client sessions) wait for input at once.
    other, other_question = ask(rig, askers, "other notebook? ", session="another-client")
    mine, _ = ask(rig, askers, "mine? ")  # asked by "client-session", the rig client's session

    reply(rig, "for me", None, status=False)
    assert mine.answer() == "for me"
    assert other.waiting()

    reply(rig, "not for the other notebook", None, status=False)  # this client asked nothing more
    assert "without a parent from a session that asked nothing" in caplog.text
    assert other.waiting()
    reply(rig, "to other", other_question.header)
    assert other.answer() == "to other"


def test_reply_naming_a_question_that_is_not_pending_is_dropped(
    rig: Rig, askers: list[Asker], caplog: pytest.LogCaptureFixture
) -> None:
    asker, question = ask(rig, askers, "? ")
    reply(rig, "stale", {"msg_id": "answered-long-ago"})
    assert "not pending" in caplog.text
    assert asker.waiting()
    reply(rig, "real", question.header)
    assert asker.answer() == "real"


def test_answer_all_releases_every_waiting_question(rig: Rig, askers: list[Asker]) -> None:
    first, _ = ask(rig, askers, "first? ")
    second, _ = ask(rig, askers, "second? ", session="another-client")
    assert rig.stdin.answer_all("closing") == 2
    assert first.answer() == "closing" and second.answer() == "closing"
