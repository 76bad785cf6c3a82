"""The router: each incoming message reaches the one place that serves it, or is refused."""

from __future__ import annotations

import pytest

from braid_kernel.errors import BadSignature, MalformedMessage, ReplayedMessage
from braid_kernel.routing.context import Request
from braid_kernel.transport.limits import Backlog
from braid_kernel.wire.channels import Channel
from braid_kernel.wire.message import JsonDict
from tests.routing.rig import IDENTITY, Client, RecordingTarget, Rig, kinds


def kernel_info(request: Request) -> JsonDict:
    return {"status": "ok", "implementation": "test", "asked_by": request.header["msg_id"]}


def test_inline_request_is_answered_between_busy_and_idle_with_its_parent(rig: Rig) -> None:
    rig.inline_handlers["kernel_info_request"] = kernel_info
    header = rig.send(Channel.SHELL, "kernel_info_request")

    sent = rig.sent()

    assert kinds(sent) == ["iopub:status:busy", "shell:kernel_info_reply", "iopub:status:idle"]
    assert all(m.parent_header == header for _, m in sent)
    reply = sent[1][1]
    assert reply.identities == (IDENTITY,)
    assert reply.content["asked_by"] == header["msg_id"]


def test_shell_request_without_inline_handler_goes_to_the_main_shell(rig: Rig) -> None:
    main = RecordingTarget()
    rig.registry.add(None, main)
    header = rig.send(Channel.SHELL, "execute_request", {"code": "1"})

    [request] = main.requests
    assert request.header == header
    assert request.channel is Channel.SHELL
    assert request.content == {"code": "1"}
    assert request.received > 0
    assert rig.sent() == []  # the shell's dispatcher does the bookkeeping, not the router
    assert rig.router.last_request == request.received  # the kernel's idle clock (warm-up)


def test_an_execute_request_allowing_stdin_marks_the_frontend_interactive(rig: Rig) -> None:
    """The background warm-up (tracebacks, jedi) starts once a frontend a person types in is seen."""
    rig.registry.add(None, RecordingTarget())
    rig.send(Channel.SHELL, "execute_request", {"code": "1", "allow_stdin": False})  # nbclient
    rig.send(Channel.SHELL, "complete_request", {"code": "allow_stdin", "cursor_pos": 3})
    assert not rig.router.interactive.is_set()
    rig.send(Channel.SHELL, "execute_request", {"code": "1", "allow_stdin": True})  # JupyterLab
    assert rig.router.interactive.is_set()


def test_when_interactive_calls_back_once_on_the_first_interactive_request(rig: Rig) -> None:
    """The kernel starts its warm-up thread from this: a batch kernel never gets one."""
    rig.registry.add(None, RecordingTarget())
    calls: list[str] = []
    rig.router.when_interactive(lambda: calls.append("early"))
    rig.send(Channel.SHELL, "execute_request", {"code": "1", "allow_stdin": False})
    assert calls == []
    rig.send(Channel.SHELL, "execute_request", {"code": "1", "allow_stdin": True})
    rig.send(Channel.SHELL, "execute_request", {"code": "2", "allow_stdin": True})
    assert calls == ["early"]
    rig.router.when_interactive(lambda: calls.append("late"))  # already interactive: at once
    assert calls == ["early", "late"]


def test_control_kernel_info_is_answered_inline_on_the_control_channel(rig: Rig) -> None:
    rig.inline_handlers["kernel_info_request"] = kernel_info
    header = rig.send(Channel.CONTROL, "kernel_info_request")

    assert rig.control.requests == []  # no hop through the control thread
    replies = [(channel, m) for channel, m in rig.sent() if m.msg_type == "kernel_info_reply"]
    assert [(channel, m.parent_header["msg_id"]) for channel, m in replies] == [
        (Channel.CONTROL, header["msg_id"])
    ]


def test_other_control_messages_go_to_the_control_target_even_if_shell_answers_them_inline(
    rig: Rig,
) -> None:
    rig.inline_handlers["interrupt_request"] = kernel_info
    header = rig.send(Channel.CONTROL, "interrupt_request")

    [request] = rig.control.requests
    assert request.header == header
    assert request.channel is Channel.CONTROL
    assert rig.sent() == []


def test_subshell_request_goes_to_that_subshell_only(rig: Rig) -> None:
    main, sub = RecordingTarget(), RecordingTarget()
    rig.registry.add(None, main)
    rig.registry.add("sub-1", sub)
    rig.send(Channel.SHELL, "execute_request", {"code": "1"}, subshell_id="sub-1")
    assert [r.msg.subshell_id for r in sub.requests] == ["sub-1"]
    assert main.requests == []


def test_unknown_subshell_id_gets_an_error_reply_and_never_runs_in_the_main_shell(rig: Rig) -> None:
    main = RecordingTarget()
    rig.registry.add(None, main)
    header = rig.send(Channel.SHELL, "execute_request", {"code": "1"}, subshell_id="no-such-subshell")

    sent = rig.sent()

    assert main.requests == []
    assert kinds(sent) == ["iopub:status:busy", "shell:execute_reply", "iopub:status:idle"]
    assert all(m.parent_header == header for _, m in sent)
    reply = sent[1][1]
    assert reply.content["status"] == "error"
    assert reply.content["ename"] == "UnknownSubshell"
    assert "no-such-subshell" in reply.content["evalue"]
    assert reply.header["subshell_id"] == "no-such-subshell"
    assert reply.identities == (IDENTITY,)


def test_deleted_subshell_id_is_unknown(rig: Rig) -> None:
    rig.registry.add("sub-1", RecordingTarget())
    rig.registry.remove("sub-1")
    rig.send(Channel.SHELL, "execute_request", {"code": "1"}, subshell_id="sub-1")
    [reply] = [m for _, m in rig.sent() if m.msg_type == "execute_reply"]
    assert reply.content["ename"] == "UnknownSubshell"


@pytest.mark.parametrize("registered", [True, False])
def test_request_for_a_stopped_main_shell_gets_an_error_reply(rig: Rig, registered: bool) -> None:
    if registered:
        rig.registry.add(None, RecordingTarget(accept=False))
    rig.send(Channel.SHELL, "execute_request", {"code": "1"})
    [reply] = [m for _, m in rig.sent() if m.msg_type == "execute_reply"]
    assert reply.content["status"] == "error"
    assert reply.content["ename"] == "KernelStopping"


def test_message_with_a_bad_signature_is_dropped_unanswered(rig: Rig) -> None:
    main = RecordingTarget()
    rig.registry.add(None, main)
    rig.inline_handlers["kernel_info_request"] = kernel_info
    for channel in (Channel.SHELL, Channel.CONTROL, Channel.STDIN):
        frames, _ = Client(key=b"not-the-kernel-key").frames("kernel_info_request")
        rig.transport.deliver(channel, frames)

    assert rig.sent() == []
    assert main.requests == [] and rig.control.requests == []
    assert [(c, type(e)) for c, e in rig.rejected] == [
        (Channel.SHELL, BadSignature),
        (Channel.CONTROL, BadSignature),
        (Channel.STDIN, BadSignature),
    ]


def test_replayed_message_is_dropped(rig: Rig) -> None:
    main = RecordingTarget()
    rig.registry.add(None, main)
    frames, _ = rig.client.frames("execute_request", {"code": "1"})
    rig.transport.deliver(Channel.SHELL, frames)
    rig.transport.deliver(Channel.SHELL, frames)
    assert len(main.requests) == 1
    assert [type(e) for _, e in rig.rejected] == [ReplayedMessage]


def test_malformed_frames_are_dropped(rig: Rig) -> None:
    rig.transport.deliver(Channel.SHELL, [b"id", b"no delimiter here"])
    assert rig.sent() == []
    assert [type(e) for _, e in rig.rejected] == [MalformedMessage]


def test_stdin_channel_goes_to_the_stdin_broker_not_to_a_shell(rig: Rig) -> None:
    main = RecordingTarget()
    rig.registry.add(None, main)
    rig.send(Channel.STDIN, "input_reply", {"value": "x"})  # nobody asked: logged and dropped
    assert main.requests == [] and rig.control.requests == []
    assert rig.sent() == []


def test_requests_handed_on_are_admitted_to_the_backlog_and_inline_ones_are_not() -> None:
    backlog = Backlog({Channel.SHELL: 10, Channel.CONTROL: 10})
    rig = Rig(backlog=backlog)
    try:
        rig.inline_handlers["kernel_info_request"] = kernel_info
        rig.registry.add(None, RecordingTarget())
        rig.send(Channel.SHELL, "kernel_info_request")
        assert backlog.pending(Channel.SHELL) == 0  # answered before the next one is read
        header = rig.send(Channel.SHELL, "execute_request", {"code": "1"})
        rig.send(Channel.CONTROL, "interrupt_request")
        assert (backlog.pending(Channel.SHELL), backlog.pending(Channel.CONTROL)) == (1, 1)
        backlog.release(header["msg_id"])
        assert backlog.pending(Channel.SHELL) == 0
    finally:
        rig.close()


def test_a_request_for_an_unknown_subshell_is_admitted_and_answered_with_idle() -> None:
    backlog = Backlog({Channel.SHELL: 10})
    rig = Rig(backlog=backlog)
    try:
        header = rig.send(Channel.SHELL, "execute_request", {"code": "1"}, subshell_id="nope")
        idle = [m for _, m in rig.sent() if m.msg_type == "status" and m.content["execution_state"] == "idle"]
        assert [m.parent_header["msg_id"] for m in idle] == [header["msg_id"]]  # what releases it
    finally:
        rig.close()
