"""input() and getpass() answered over the stdin channel, in both reply styles clients use."""

from __future__ import annotations

import pytest

from tests.protocol import transports
from tests.protocol.kernel_client import Msg, RunningKernel

pytestmark = pytest.mark.timeout(60)

kernel = transports.kernel  # a kernel process, and in-process


def _input_request(kernel: RunningKernel, cell: str) -> Msg:
    request = kernel.reply(cell, "stdin", timeout=10)
    assert request["msg_type"] == "input_request"
    return request


def test_input_round_trip_with_a_jupyterlab_style_reply(kernel: RunningKernel) -> None:
    cell = kernel.execute_request("answer = input('your name? ')\nprint('hello', answer)", allow_stdin=True)
    request = _input_request(kernel, cell)
    assert request["content"] == {"prompt": "your name? ", "password": False}
    # JupyterLab answers with status ok and the input_request as parent.
    reply = kernel.kc.session.msg("input_reply", {"value": "lab-user", "status": "ok"}, parent=request)
    kernel.kc.stdin_channel.send(reply)
    done = kernel.finish(cell)
    assert done.status == "ok", done.describe()
    assert "hello lab-user" in done.stdout
    assert kernel.value("answer") == "'lab-user'"


def test_input_round_trip_with_jupyter_client_input(kernel: RunningKernel) -> None:
    cell = kernel.execute_request("plain_answer = input('value: ')", allow_stdin=True)
    _input_request(kernel, cell)
    kernel.kc.input("from-kc-input")  # content is only {"value": ...}, no parent header
    assert kernel.finish(cell).status == "ok"
    assert kernel.value("plain_answer") == "'from-kc-input'"


def test_getpass_round_trip_asks_for_a_password(kernel: RunningKernel) -> None:
    cell = kernel.execute_request("import getpass\nsecret = getpass.getpass('pw: ')", allow_stdin=True)
    request = _input_request(kernel, cell)
    assert request["content"] == {"prompt": "pw: ", "password": True}
    kernel.kc.input("s3cret")
    done = kernel.finish(cell)
    assert done.status == "ok", done.describe()
    assert "s3cret" not in done.stdout
    assert kernel.value("len(secret)") == "6"


def test_two_inputs_in_one_cell_are_answered_in_turn(kernel: RunningKernel) -> None:
    cell = kernel.execute_request("pair = (input('a? '), input('b? '))", allow_stdin=True)
    for value in ("first", "second"):
        request = _input_request(kernel, cell)
        reply = kernel.kc.session.msg("input_reply", {"value": value, "status": "ok"}, parent=request)
        kernel.kc.stdin_channel.send(reply)
    assert kernel.finish(cell).status == "ok"
    assert kernel.value("pair") == "('first', 'second')"
