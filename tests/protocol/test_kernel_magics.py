"""The magics ipykernel adds to IPython's, and ``%%capture``, as notebooks use them."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from tests.protocol import transports
from tests.protocol.kernel_client import Executed, RunningKernel

pytestmark = pytest.mark.timeout(60)

kernel = transports.kernel  # a kernel process, and in-process


def _payload(done: Executed, source: str) -> dict[str, object]:
    payloads = [p for p in done.content.get("payload", []) if p.get("source") == source]
    assert len(payloads) == 1, done.describe()
    return dict(payloads[0])


def test_capture_magic_captures_the_final_value(kernel: RunningKernel) -> None:
    done = kernel.run(
        "%%capture cap\nprint('captured out')\nfrom IPython.display import display\ndisplay('shown')\n1 + 1"
    )
    assert done.of_type("execute_result") == [] and done.of_type("display_data") == [], done.describe()
    assert kernel.value("len(cap.outputs), cap.outputs[-1].data['text/plain']") == "(2, '2')"
    shown = kernel.run("cap.show()")
    assert [m["content"]["data"]["text/plain"] for m in shown.of_type("display_data")] == ["'shown'", "2"]


@pytest.mark.parametrize("magic", ["less", "more"])
def test_less_and_more_page_the_file(kernel: RunningKernel, magic: str, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("line1\nline2\n")
    done = kernel.run(f"%{magic} {notes}")
    assert _payload(done, "page")["data"] == {"text/plain": "line1\nline2\n"}


def test_less_without_a_file_is_a_usage_error(kernel: RunningKernel) -> None:
    done = kernel.execute("%less")
    assert (done.content["ename"], done.content["evalue"]) == ("UsageError", "Missing filename.")


def test_clear_sends_the_clear_screen_sequence(kernel: RunningKernel) -> None:
    done = kernel.run("%clear")
    assert "\x1b[2J" in done.stdout, done.describe()


def test_autosave_sends_the_notebook_script_and_says_so(kernel: RunningKernel) -> None:
    done = kernel.run("%autosave 0")
    [shown] = done.of_type("display_data")
    assert shown["content"]["data"] == {"application/javascript": "IPython.notebook.set_autosave_interval(0)"}
    assert done.stdout == "Autosave disabled\n"
    assert kernel.run("%autosave 60").stdout == "Autosaving every 60 seconds\n"
    assert kernel.execute("%autosave often").content["ename"] == "UsageError"


def test_edit_asks_the_frontend_to_open_the_file(kernel: RunningKernel, tmp_path: Path) -> None:
    script = tmp_path / "edited.py"
    script.write_text("x = 1\n")
    payload = _payload(kernel.run(f"%edit -n 1 {script}"), "edit_magic")
    # line_number as ipykernel sends it: the option's text
    assert payload == {"source": "edit_magic", "filename": str(script.resolve()), "line_number": "1"}
    assert _payload(kernel.run(f"%ed {script}"), "edit_magic")["filename"] == str(script.resolve())


@transports.zmq_only("kernel")
def test_connect_info_prints_the_connection_file(kernel: RunningKernel) -> None:
    done = kernel.run("%connect_info")
    info_text, _, help_text = done.stdout.partition("\n\n")
    info = json.loads(info_text)
    assert info["shell_port"] == kernel.km.get_connection_info()["shell_port"]
    name = Path(kernel.km.connection_file).name
    assert f"$> jupyter <app> --existing {name}\n" in help_text, done.stdout


def test_jupyter_core_is_imported_only_once_connect_info_needs_it(fresh_kernel: RunningKernel) -> None:
    """Startup does not pay for jupyter_core and platformdirs (~3 ms): only %connect_info uses them."""
    loaded = "'jupyter_core' in __import__('sys').modules"
    assert fresh_kernel.value(loaded) == "False"
    fresh_kernel.run("%connect_info")
    assert fresh_kernel.value(loaded) == "True"


def test_subshell_magic_names_the_subshell(kernel: RunningKernel) -> None:
    done = kernel.run("%subshell")
    lines = dict(line.split(": ", 1) for line in done.stdout.splitlines())
    assert lines["subshell id"] == "None" and lines["subshell list"] == "[]", done.stdout
    fields = {"subshell id", "thread id", "main thread id", "pid", "thread count", "subshell list"}
    assert set(lines) == fields


@transports.zmq_only("kernel")
def test_store_magic_is_loaded(kernel: RunningKernel) -> None:
    kernel.run("stored_value = 42\n%store stored_value")
    assert kernel.value("del stored_value\n%store -r stored_value\nstored_value") == "42"


@transports.zmq_only("kernel")  # in-process, pytest records the warning instead
def test_qtconsole_without_qtconsole_installed_warns(kernel: RunningKernel) -> None:
    if importlib.util.find_spec("qtconsole") is not None:
        pytest.skip("qtconsole is installed: the magic would open a window")
    done = kernel.run("%qtconsole")
    assert "Could not start qtconsole" in done.stderr, done.describe()


@transports.zmq_only("kernel")
def test_man_pages_the_manual_page(kernel: RunningKernel, tmp_path: Path) -> None:
    fake = tmp_path / "man"  # a stand-in for man(1): the page must reach the pager, whatever is installed
    fake.write_text('#!/bin/sh\necho "MANUAL PAGE OF $1"\n')
    fake.chmod(0o755)
    kernel.run(
        f"import os\nsaved_path = os.environ['PATH']\n"
        f"os.environ['PATH'] = {str(tmp_path)!r} + ':' + saved_path"
    )
    try:
        page = _payload(kernel.run("%man braidtool"), "page")["data"]
    finally:
        kernel.run("os.environ['PATH'] = saved_path")
    assert isinstance(page, dict) and page["text/plain"].strip() == "MANUAL PAGE OF braidtool", page
