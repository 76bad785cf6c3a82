"""Dispatchers: busy, the handler's reply, idle, all parented to the request; failures as replies.

The synchronous dispatcher is driven directly (it serves the I/O and control
threads); the asynchronous one serves a ShellInbox on an event loop, on both
anyio backends, with requests routed to it by the Router.
"""

from __future__ import annotations

import threading

import anyio
import pytest

from braid_kernel.routing.context import Request, current_request
from braid_kernel.routing.dispatch import Handler, Reply, SyncDispatcher, reply_type
from braid_kernel.wire.channels import Channel
from braid_kernel.wire.message import JsonDict, Message
from tests.routing.rig import IDENTITY, Rig, is_status, kinds, of, serving


def request_of(
    rig: Rig, msg_type: str, content: JsonDict | None = None, channel: Channel = Channel.CONTROL
) -> Request:
    frames, _ = rig.client.frames(msg_type, content)
    return Request(rig.codec.decode(frames), channel)


def boom(request: Request) -> JsonDict:
    raise ValueError(f"handler failed for {request.msg_type}")


@pytest.mark.parametrize(
    ("msg_type", "expected"),
    [
        ("execute_request", "execute_reply"),
        ("x_request", "x_reply"),
        ("comm_msg", None),
        ("input_reply", None),
    ],
)
def test_reply_type_of_a_request_and_of_other_messages(msg_type: str, expected: str | None) -> None:
    assert reply_type(msg_type) == expected


# ------------------------------------------------------------------ SyncDispatcher
def test_sync_request_is_answered_between_busy_and_idle(rig: Rig) -> None:
    seen: list[Request | None] = []

    busy_inside: list[bool] = []

    def handler(request: Request) -> JsonDict:
        seen.append(current_request.get())
        busy_inside.append(rig.publisher.busy)
        return {"status": "ok"}

    request = request_of(rig, "kernel_info_request")
    assert not rig.publisher.busy
    SyncDispatcher(rig.publisher, {"kernel_info_request": handler}).dispatch(request)
    sent = rig.sent()
    assert busy_inside == [True] and not rig.publisher.busy  # the kernel's idle clock (warm-up)

    assert kinds(sent) == ["iopub:status:busy", "control:kernel_info_reply", "iopub:status:idle"]
    assert all(m.parent_header == request.header for _, m in sent)
    assert sent[1][1].identities == (IDENTITY,)
    assert seen == [request]
    assert current_request.get() is None  # reset after the handler


def test_sync_reply_carries_the_handlers_metadata(rig: Rig) -> None:
    request = request_of(rig, "debug_request")
    handlers = {"debug_request": lambda r: Reply({"status": "ok"}, {"meta": "data"})}
    SyncDispatcher(rig.publisher, handlers).dispatch(request)
    [reply] = [m for _, m in rig.sent() if m.msg_type == "debug_reply"]
    assert reply.metadata == {"meta": "data"}


def test_sync_unknown_request_gets_an_error_reply(rig: Rig) -> None:
    request = request_of(rig, "x_request")
    SyncDispatcher(rig.publisher, {}).dispatch(request)
    sent = rig.sent()
    assert kinds(sent) == ["iopub:status:busy", "control:x_reply", "iopub:status:idle"]
    reply = sent[1][1]
    assert reply.content["status"] == "error"
    assert reply.content["ename"] == "UnknownMessageType"
    assert "x_request" in reply.content["evalue"]


def test_sync_unknown_message_that_is_no_request_gets_no_reply(rig: Rig) -> None:
    SyncDispatcher(rig.publisher, {}).dispatch(request_of(rig, "x_event"))
    assert kinds(rig.sent()) == ["iopub:status:busy", "iopub:status:idle"]


def test_sync_handler_exception_becomes_an_error_reply(rig: Rig) -> None:
    request = request_of(rig, "kernel_info_request")
    SyncDispatcher(rig.publisher, {"kernel_info_request": boom}).dispatch(request)
    sent = rig.sent()
    assert kinds(sent) == ["iopub:status:busy", "control:kernel_info_reply", "iopub:status:idle"]
    content = sent[1][1].content
    assert content["status"] == "error"
    assert content["ename"] == "ValueError"
    assert content["evalue"] == "handler failed for kernel_info_request"
    assert any("ValueError" in line for line in content["traceback"])


def test_sync_handler_returning_none_sends_its_own_reply_only(rig: Rig) -> None:
    def shutdown(request: Request) -> None:
        rig.publisher.reply(request, "shutdown_reply", {"status": "ok", "restart": False})

    SyncDispatcher(rig.publisher, {"shutdown_request": shutdown}).dispatch(
        request_of(rig, "shutdown_request")
    )
    assert kinds(rig.sent()) == ["iopub:status:busy", "control:shutdown_reply", "iopub:status:idle"]


def test_dispatch_error_answers_without_a_handler(rig: Rig) -> None:
    request = request_of(rig, "execute_request", channel=Channel.SHELL)
    SyncDispatcher(rig.publisher, {}).dispatch_error(request, "KernelStopping", "the shell has stopped")
    sent = rig.sent()
    assert kinds(sent) == ["iopub:status:busy", "shell:execute_reply", "iopub:status:idle"]
    assert sent[1][1].content == {
        "status": "error",
        "ename": "KernelStopping",
        "evalue": "the shell has stopped",
        "traceback": [],
    }


# ------------------------------------------------------------------ AsyncDispatcher
def replies(sent: list[tuple[Channel, Message]]) -> list[Message]:
    return [m for _, m in sent if m.msg_type.endswith("_reply")]


@pytest.mark.anyio
async def test_async_request_is_answered_between_busy_and_idle_with_its_parent(rig: Rig) -> None:
    async def complete(request: Request) -> JsonDict:
        await anyio.sleep(0)
        return {"status": "ok", "matches": [request.field("code", "") + "_done"]}

    async with serving(rig, {"complete_request": complete}):
        header = rig.send(Channel.SHELL, "complete_request", {"code": "pri"})
        sent = await rig.until_idle(header)

    assert kinds(sent) == ["iopub:status:busy", "shell:complete_reply", "iopub:status:idle"]
    assert all(m.parent_header == header for _, m in sent)
    reply = sent[1][1]
    assert reply.content["matches"] == ["pri_done"]
    assert reply.identities == (IDENTITY,)


@pytest.mark.anyio
async def test_async_dispatcher_also_runs_sync_handlers(rig: Rig) -> None:
    async with serving(rig, {"history_request": lambda r: {"status": "ok", "history": []}}):
        header = rig.send(Channel.SHELL, "history_request")
        sent = await rig.until_idle(header)
    assert [m.content for m in replies(sent)] == [{"status": "ok", "history": []}]


@pytest.mark.anyio
async def test_async_unknown_request_gets_an_error_reply(rig: Rig) -> None:
    async with serving(rig, {}):
        header = rig.send(Channel.SHELL, "x_request")
        sent = await rig.until_idle(header)
    assert kinds(sent) == ["iopub:status:busy", "shell:x_reply", "iopub:status:idle"]
    assert sent[1][1].content["status"] == "error"
    assert sent[1][1].content["ename"] == "UnknownMessageType"


@pytest.mark.anyio
async def test_async_handler_exception_becomes_an_error_reply_and_the_shell_lives_on(rig: Rig) -> None:
    async def failing(request: Request) -> JsonDict:
        await anyio.sleep(0)
        raise ValueError("async handler failed")

    async with serving(rig, {"execute_request": failing, "kernel_info_request": lambda r: {"status": "ok"}}):
        failed = rig.send(Channel.SHELL, "execute_request", {"code": "1"})
        sent = await rig.until_idle(failed)
        after = rig.send(Channel.SHELL, "kernel_info_request")
        sent_after = await rig.until_idle(after)

    assert kinds(sent) == ["iopub:status:busy", "shell:execute_reply", "iopub:status:idle"]
    assert sent[1][1].content["status"] == "error"
    assert sent[1][1].content["ename"] == "ValueError"
    assert sent[1][1].content["evalue"] == "async handler failed"
    assert [m.content["status"] for m in replies(sent_after)] == ["ok"]


@pytest.mark.anyio
async def test_output_of_concurrent_requests_is_parented_to_each_request(rig: Rig) -> None:
    release = anyio.Event()

    async def execute(request: Request) -> JsonDict:
        code = request.field("code")
        rig.publisher.iopub("display_data", {"data": {"text/plain": f"{code}:before"}, "metadata": {}})
        await release.wait()  # both requests are in flight here at the same time
        mine = current_request.get()  # still this request's, after awaiting beside the other
        assert mine is not None
        rig.publisher.stream("stdout", f"{code}:after", mine)
        return {"status": "ok", "code": code}

    async with serving(rig, {"execute_request": execute}):
        first = rig.send(Channel.SHELL, "execute_request", {"code": "A"})
        second = rig.send(Channel.SHELL, "execute_request", {"code": "B"})
        sent: list[tuple[Channel, Message]] = []
        with anyio.fail_after(10):
            while sum(m.msg_type == "display_data" for _, m in sent) < 2:
                sent.extend(rig.sent())
                await anyio.sleep(0.001)
        release.set()
        sent.extend(await rig.until_idle(first, second))

    for header, code in ((first, "A"), (second, "B")):
        mine = of(header, sent)
        assert [m.content["data"]["text/plain"] for _, m in mine if m.msg_type == "display_data"] == [
            f"{code}:before"
        ]
        assert [m.content["text"] for _, m in mine if m.msg_type == "stream"] == [f"{code}:after"]
        assert [m.content["code"] for m in replies(mine)] == [code]
        assert is_status(mine[0][1], "busy", header)
        assert is_status(mine[-1][1], "idle", header)


@pytest.mark.anyio
async def test_an_awaiting_request_does_not_hold_up_the_next_one(rig: Rig) -> None:
    unblocked = anyio.Event()

    async def execute(request: Request) -> JsonDict:
        await unblocked.wait()
        return {"status": "ok"}

    def comm_msg(request: Request) -> None:
        unblocked.set()

    async with serving(rig, {"execute_request": execute, "comm_msg": comm_msg}):
        waiting = rig.send(Channel.SHELL, "execute_request", {"code": "await x"})
        comm = rig.send(Channel.SHELL, "comm_msg", {"comm_id": "c", "data": {}})
        sent = await rig.until_idle(waiting)

    assert [m.parent_header["msg_id"] for m in replies(sent)] == [waiting["msg_id"]]
    comm_status = [m for _, m in of(comm, sent) if m.msg_type == "status"]
    assert [m.content["execution_state"] for m in comm_status] == ["busy", "idle"]


@pytest.mark.anyio
async def test_subshell_requests_are_served_by_the_subshells_dispatcher(rig: Rig) -> None:
    def named(name: str) -> dict[str, Handler]:
        return {"execute_request": lambda r: {"status": "ok", "served_by": name}}

    async with serving(rig, named("main")), serving(rig, named("sub"), subshell_id="sub-1"):
        on_main = rig.send(Channel.SHELL, "execute_request", {"code": "1"})
        on_sub = rig.send(Channel.SHELL, "execute_request", {"code": "1"}, subshell_id="sub-1")
        sent = await rig.until_idle(on_main, on_sub)

    [main_reply] = replies(of(on_main, sent))
    [sub_reply] = replies(of(on_sub, sent))
    assert main_reply.content["served_by"] == "main"
    assert "subshell_id" not in main_reply.header
    assert sub_reply.content["served_by"] == "sub"
    assert sub_reply.header["subshell_id"] == "sub-1"
    assert all(m.header.get("subshell_id") == "sub-1" for _, m in of(on_sub, sent))


@pytest.mark.anyio
async def test_inbox_accepts_requests_from_another_thread(rig: Rig) -> None:
    async with serving(rig, {"kernel_info_request": lambda r: {"status": "ok"}}):
        frames, header = rig.client.frames("kernel_info_request")
        # The I/O thread is another thread: hand the frames over from one.
        io = threading.Thread(target=rig.transport.deliver, args=(Channel.SHELL, frames))
        io.start()
        io.join(10)
        sent = await rig.until_idle(header)
    assert kinds(sent) == ["iopub:status:busy", "shell:kernel_info_reply", "iopub:status:idle"]
