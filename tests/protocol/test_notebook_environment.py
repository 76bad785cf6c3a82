"""The process a notebook runs in, set up as ipykernel sets it up.

``__session__`` names the notebook, ``''`` on ``sys.path`` makes imports follow ``%cd``, child
processes get no pager and are told they may colour, and the kernelspec turns frozen modules off
so inspection finds the stdlib's source.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.protocol.kernel_client import RunningKernel

pytestmark = pytest.mark.timeout(90)


def test_session_names_the_notebook(start_kernel: Callable[..., RunningKernel], tmp_path: Path) -> None:
    notebook = str(tmp_path / "analysis.ipynb")
    k = start_kernel(env={**os.environ, "JPY_SESSION_NAME": notebook})
    assert k.value("__session__") == repr(notebook)


def test_the_current_directory_is_on_sys_path_instead_of_the_start_directory(
    fresh_kernel: RunningKernel,
) -> None:
    assert fresh_kernel.value("import os, sys\nos.getcwd() in sys.path, '' in sys.path") == "(False, True)"


def test_imports_follow_cd(fresh_kernel: RunningKernel, tmp_path: Path) -> None:
    package_dir = tmp_path / "elsewhere"
    package_dir.mkdir()
    (package_dir / "braid_cd_import_probe.py").write_text("WHERE = 'found after %cd'\n")
    fresh_kernel.run(f"%cd {package_dir}")
    assert (
        fresh_kernel.value("import braid_cd_import_probe\nbraid_cd_import_probe.WHERE") == "'found after %cd'"
    )


def test_child_processes_get_no_pager_and_may_colour(fresh_kernel: RunningKernel) -> None:
    done = fresh_kernel.run('!echo "$PAGER $GIT_PAGER $TERM $CLICOLOR $FORCE_COLOR"')
    assert done.stdout.split() == ["cat", "cat", "xterm-color", "1", "1"], done.describe()


def test_git_log_does_not_wait_in_a_pager(fresh_kernel: RunningKernel, tmp_path: Path) -> None:
    if os.system("git --version > /dev/null 2>&1") != 0:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    fresh_kernel.run(
        f"!git init -q {repo} && for i in $(seq 1 40); do "
        f"git -C {repo} -c user.email=a@b.c -c user.name=n commit -q --allow-empty -m commit-$i; done"
    )
    done = fresh_kernel.execute(f"!git -C {repo} log --format=%s", timeout=30)
    assert done.status == "ok", done.describe()
    lines = done.stdout.split()
    assert lines[0] == "commit-40" and lines[-1] == "commit-1", done.describe()


def test_stdlib_source_is_found_for_inspection(fresh_kernel: RunningKernel) -> None:
    frozen = fresh_kernel.value(
        "import os, posixpath\nposixpath.join.__code__.co_filename.startswith('<frozen')"
    )
    assert frozen == "False"
    reply = fresh_kernel.request(
        "inspect_request", {"code": "os.path.join", "cursor_pos": 12, "detail_level": 0}
    )
    assert reply["content"]["found"], reply
    text = reply["content"]["data"]["text/plain"]
    assert "posixpath.py" in text and "<frozen" not in text, text
