"""The braid-kernel command line: kernelspecs written, read back and removed; start's option handling.

Every install goes to a temporary ``--prefix`` (or a temporary user data dir), never the real ones,
and ``start`` runs a fake ``braid_kernel.app.launch`` module, so no kernel process is launched.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import types
from collections.abc import Callable
from pathlib import Path

import pytest

from braid_kernel.app import cli, kernelspec
from braid_kernel.app.cli import main, parse_start_args
from braid_kernel.app.collector import StartupCollector
from braid_kernel.app.config import KernelConfig, SubshellNamespace
from braid_kernel.engine.modes import Backend, GuiLoop, Mode

BASE_ARGV = [sys.executable, "-Xfrozen_modules=off", "-m", "braid_kernel", "start", "-f", "{connection_file}"]


@pytest.fixture
def prefix(tmp_path: Path) -> Path:
    return tmp_path / "prefix"


def kernels_dir(prefix: Path) -> Path:
    return prefix / "share" / "jupyter" / "kernels"


def install(prefix: Path, *args: str) -> int:
    return main(["install", *args, "--prefix", str(prefix)])


def read_spec(prefix: Path, name: str) -> dict[str, object]:
    spec: dict[str, object] = json.loads((kernels_dir(prefix) / name / "kernel.json").read_text())
    return spec


def write_foreign_spec(prefix: Path, name: str) -> Path:
    resource_dir = kernels_dir(prefix) / name
    resource_dir.mkdir(parents=True)
    argv = ["python", "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (resource_dir / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": name}))
    return resource_dir


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[KernelConfig]:
    """Replace the kernel module with one recording the configs it is started with."""
    configs: list[KernelConfig] = []

    def run_kernel(config: KernelConfig, collector: StartupCollector | None = None) -> int:
        configs.append(config)
        return 7

    fake_launch(monkeypatch, run_kernel)
    return configs


def fake_launch(
    monkeypatch: pytest.MonkeyPatch, run_kernel: Callable[[KernelConfig, StartupCollector | None], int]
) -> None:
    """Make ``run_kernel`` the kernel module's entry point (no kernel process starts)."""
    fake = types.ModuleType("braid_kernel.app.launch")
    fake.run_kernel = run_kernel  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "braid_kernel.app.launch", fake)


# --- install ------------------------------------------------------------------------------------


def test_install_react_concurrent_writes_braid_concurrent_react(prefix: Path) -> None:
    assert install(prefix, "react-concurrent") == 0
    spec = read_spec(prefix, "braid-concurrent-react")
    assert spec["argv"] == [*BASE_ARGV, "--modes", "concurrent-react"]
    assert spec["display_name"] == "Python 3 (braid: concurrent, react)"
    assert spec["language"] == "python"
    assert spec["interrupt_mode"] == "message"
    assert spec["kernel_protocol_version"] == "5.5"
    assert spec["metadata"] == {"supported_encryption": ["curve"], "debugger": True}
    assert spec["env"] == {}


def test_install_without_modes_writes_braid_with_no_options(prefix: Path) -> None:
    assert install(prefix) == 0
    spec = read_spec(prefix, "braid")
    assert spec["argv"] == BASE_ARGV
    assert spec["display_name"] == "Python 3 (braid)"


def test_install_puts_only_non_default_options_in_argv(prefix: Path) -> None:
    args = ["concurrent", "--backend", "trio", "--loop", "tk", "--subshell-namespace", "isolated"]
    assert install(prefix, *args, "--session-idle-timeout", "600", "--no-debugger") == 0
    spec = read_spec(prefix, "braid-concurrent-trio-tk")
    assert spec["argv"] == [
        *BASE_ARGV,
        *["--modes", "concurrent", "--backend", "trio", "--loop", "tk"],
        *["--subshell-namespace", "isolated", "--session-idle-timeout", "600", "--no-debugger"],
    ]
    assert spec["metadata"] == {"supported_encryption": ["curve"], "debugger": False}
    assert spec["display_name"] == "Python 3 (braid: concurrent; trio; tk)"


def test_install_uvloop_is_named_and_passed(prefix: Path) -> None:
    assert install(prefix, "cache", "--uvloop") == 0
    spec = read_spec(prefix, "braid-cache-uvloop")
    assert spec["argv"] == [*BASE_ARGV, "--modes", "cache", "--uvloop"]


def test_install_react_lazy_writes_braid_react_lazy(prefix: Path) -> None:
    assert install(prefix, "react", "--lazy") == 0
    spec = read_spec(prefix, "braid-react-lazy")
    assert spec["argv"] == [*BASE_ARGV, "--modes", "react", "--lazy"]
    assert spec["display_name"] == "Python 3 (braid: react, lazy)"
    assert install(prefix, "concurrent-react", "--lazy") == 0
    assert read_spec(prefix, "braid-concurrent-react-lazy")["argv"] == [
        *BASE_ARGV,
        "--modes",
        "concurrent-react",
        "--lazy",
    ]


def test_install_lazy_without_react_exits_2(prefix: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert install(prefix, "concurrent", "--lazy") == 2
    assert "--lazy applies to react mode" in capsys.readouterr().err


def test_install_refuses_uvloop_under_a_gui_loop(prefix: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert install(prefix, "--uvloop", "--loop", "qt") == 2
    assert "uvloop cannot run as the guest of a GUI loop" in capsys.readouterr().err


def test_install_name_and_display_name_override_the_derived_ones(prefix: Path) -> None:
    assert install(prefix, "react", "--name", "My-React", "--display-name", "Reactive Py") == 0
    spec = read_spec(prefix, "my-react")
    assert spec["display_name"] == "Reactive Py"
    assert spec["argv"] == [*BASE_ARGV, "--modes", "react"]


def test_install_prints_where_it_installed(prefix: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert install(prefix, "multi") == 0
    out = capsys.readouterr().out
    assert "braid-multi" in out
    assert str(kernels_dir(prefix.resolve()) / "braid-multi") in out


def test_install_twice_replaces_the_kernelspec(prefix: Path) -> None:
    assert install(prefix, "--display-name", "first") == 0
    assert install(prefix, "--display-name", "second") == 0
    assert read_spec(prefix, "braid")["display_name"] == "second"


def test_install_unknown_mode_exits_2_naming_the_accepted_modes(
    prefix: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert install(prefix, "react-nope") == 2
    err = capsys.readouterr().err
    assert "'nope'" in err
    assert "cache, concurrent, multi, react" in err
    assert not kernels_dir(prefix).exists()


def test_install_invalid_name_exits_2(prefix: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert install(prefix, "--name", "no spaces/here") == 2
    assert "invalid kernelspec name" in capsys.readouterr().err


def test_install_uvloop_on_trio_exits_2(prefix: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert install(prefix, "--backend", "trio", "--uvloop") == 2
    assert "uvloop" in capsys.readouterr().err


def test_install_accepts_only_one_location(prefix: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert install(prefix, "--user") == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_install_user_writes_to_the_user_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "data"))
    assert main(["install", "react", "--user"]) == 0
    assert (tmp_path / "data" / "kernels" / "braid-react" / "kernel.json").is_file()


def test_install_into_an_unwritable_prefix_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    assert install(blocker) == 1
    assert "--user" in capsys.readouterr().err


def test_default_location_is_sys_prefix_inside_a_virtualenv(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONDA_PREFIX", raising=False)
    monkeypatch.setattr(sys, "base_prefix", "/somewhere/else")
    assert kernelspec.default_location().scope is kernelspec.Scope.SYS_PREFIX


def test_default_location_is_sys_prefix_inside_a_conda_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "base_prefix", sys.prefix)
    monkeypatch.setenv("CONDA_PREFIX", sys.prefix)
    assert kernelspec.default_location().scope is kernelspec.Scope.SYS_PREFIX


def test_default_location_is_the_user_outside_any_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONDA_PREFIX", raising=False)
    monkeypatch.setattr(sys, "base_prefix", sys.prefix)
    assert kernelspec.default_location().scope is kernelspec.Scope.USER


# --- list and uninstall -------------------------------------------------------------------------


def test_list_says_lazy(prefix: Path, capsys: pytest.CaptureFixture[str]) -> None:
    install(prefix, "react", "--lazy")
    capsys.readouterr()
    assert main(["list", "--prefix", str(prefix)]) == 0
    assert capsys.readouterr().out.split()[2:] == ["modes=react", "backend=asyncio", "lazy"]


def test_list_shows_name_directory_modes_and_backend(
    prefix: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    install(prefix)
    install(prefix, "react-concurrent", "--backend", "trio", "--loop", "qt")
    capsys.readouterr()
    assert main(["list", "--prefix", str(prefix)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert lines[0].split() == [
        "braid",
        str(kernels_dir(prefix.resolve()) / "braid"),
        "modes=chained",
        "backend=asyncio",
    ]
    assert lines[1].split() == [
        "braid-concurrent-react-trio-qt",
        str(kernels_dir(prefix.resolve()) / "braid-concurrent-react-trio-qt"),
        "modes=concurrent-react",
        "backend=trio",
        "loop=qt",
    ]


def test_list_leaves_out_kernelspecs_of_other_kernels(
    prefix: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_foreign_spec(prefix, "python3")
    assert main(["list", "--prefix", str(prefix)]) == 0
    assert capsys.readouterr().out.strip() == "No braid kernelspecs found."


def test_uninstall_without_names_removes_braid(prefix: Path) -> None:
    install(prefix)
    install(prefix, "react")
    assert main(["uninstall", "--prefix", str(prefix)]) == 0
    assert sorted(p.name for p in kernels_dir(prefix).iterdir()) == ["braid-react"]


def test_uninstall_named_kernelspecs(prefix: Path, capsys: pytest.CaptureFixture[str]) -> None:
    install(prefix, "react")
    install(prefix, "cache")
    assert main(["uninstall", "braid-react", "braid-cache", "--prefix", str(prefix)]) == 0
    assert list(kernels_dir(prefix).iterdir()) == []
    assert capsys.readouterr().out.count("Removed ") == 2


def test_uninstall_all_removes_every_braid_kernelspec_and_nothing_else(prefix: Path) -> None:
    foreign = write_foreign_spec(prefix, "python3")
    for modes in ("react", "cache-multi", "concurrent"):
        install(prefix, modes)
    assert main(["uninstall", "--all", "--prefix", str(prefix)]) == 0
    assert list(kernels_dir(prefix).iterdir()) == [foreign]


def test_uninstall_refuses_a_foreign_or_missing_kernelspec_and_removes_nothing(
    prefix: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    foreign = write_foreign_spec(prefix, "python3")
    install(prefix)
    assert main(["uninstall", "braid", "python3", "--prefix", str(prefix)]) == 2
    assert "python3" in capsys.readouterr().err
    assert foreign.is_dir()
    assert (kernels_dir(prefix) / "braid").is_dir()


def test_uninstall_names_with_all_exits_2(prefix: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["uninstall", "braid", "--all", "--prefix", str(prefix)]) == 2
    assert "--all" in capsys.readouterr().err


# --- start ---------------------------------------------------------------------------------------


def test_start_builds_the_config_and_returns_what_the_kernel_returns(started: list[KernelConfig]) -> None:
    argv = ["start", "-f", "/tmp/conn.json", "--modes", "react-concurrent", "--backend", "trio"]
    argv += ["--loop", "tk", "--subshell-namespace", "isolated", "--session-idle-timeout", "1.5"]
    assert main([*argv, "--log-level", "debug", "--no-debugger"]) == 7
    assert started == [
        KernelConfig(
            connection_file=Path("/tmp/conn.json"),
            modes=Mode.REACT | Mode.CONCURRENT,
            backend=Backend.TRIO,
            loop=GuiLoop.TK,
            subshell_namespace=SubshellNamespace.ISOLATED,
            session_idle_timeout=1.5,
            log_level="DEBUG",
            debugger=False,
        )
    ]


def test_a_kernel_is_started_with_the_collector_paused_and_gets_it_to_resume(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[tuple[bool, bool]] = []

    def run_kernel(config: KernelConfig, collector: StartupCollector | None = None) -> int:
        seen.append((gc.isenabled(), collector is not None and collector.paused))
        return 0

    fake_launch(monkeypatch, run_kernel)
    assert main(["start", "-f", "conn.json"]) == 0
    assert seen == [(False, True)]  # paused during the start, for the kernel to resume
    assert gc.isenabled()  # and resumed when a kernel returns without having done it


def test_other_commands_run_with_the_collector_resumed(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bool] = []

    def list_command(ns: object) -> int:
        seen.append(gc.isenabled())
        return 0

    monkeypatch.setattr(cli, "_cmd_list", list_command)
    assert main(["list"]) == 0
    assert seen == [True]


def test_a_collector_the_caller_turned_off_stays_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "_cmd_list", lambda ns: 0)
    gc.disable()
    try:
        assert main(["list"]) == 0
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_start_with_defaults_gives_the_default_config(started: list[KernelConfig]) -> None:
    assert main(["start", "-f", "conn.json"]) == 7
    assert started == [KernelConfig(connection_file=Path("conn.json"))]


def test_no_subcommand_with_connection_file_means_start(started: list[KernelConfig]) -> None:
    assert main(["-f", "conn.json", "--modes", "cache"]) == 7
    assert started == [KernelConfig(connection_file=Path("conn.json"), modes=Mode.CACHE)]


def test_start_bad_backend_exits_2_naming_the_backends(
    started: list[KernelConfig], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["start", "-f", "conn.json", "--backend", "foo"]) == 2
    err = capsys.readouterr().err
    assert "unknown backend 'foo': use asyncio or trio" in err
    assert started == []


def test_start_bad_modes_exits_2_naming_the_modes(
    started: list[KernelConfig], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["start", "-f", "conn.json", "--modes", "nope"]) == 2
    assert "cache, concurrent, multi, react" in capsys.readouterr().err
    assert started == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--loop", "gtk"], "use tk or qt"),
        (["--subshell-namespace", "private"], "use shared or isolated"),
        (["--session-idle-timeout", "soon"], "positive number of seconds"),
        (["--log-level", "LOUD"], "DEBUG, INFO, WARNING, ERROR, CRITICAL"),
        (["--backend", "trio", "--uvloop"], "uvloop only applies to the asyncio backend"),
    ],
)
def test_start_bad_option_values_exit_2_saying_what_to_use(
    started: list[KernelConfig], capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(["start", "-f", "conn.json", *argv]) == 2
    assert message in capsys.readouterr().err
    assert started == []


def test_start_misspelt_own_option_exits_2_suggesting_the_right_one(
    started: list[KernelConfig], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["start", "-f", "conn.json", "--mode", "react"]) == 2
    assert "did you mean --modes?" in capsys.readouterr().err
    assert started == []


def test_start_ignores_files_launchers_append_with_a_warning(
    started: list[KernelConfig], capsys: pytest.CaptureFixture[str]
) -> None:
    # `jupyter run a.py b.py` appends the file names; consoles may pass traitlets options.
    argv = ["start", "-f", "conn.json", "--modes", "react", "a.py", "--Session.key=abc", "--debug", "b.py"]
    assert main(argv) == 7
    assert started == [
        KernelConfig(
            connection_file=Path("conn.json"), modes=Mode.REACT, ipython_options=("--Session.key=abc",)
        )
    ]
    err = capsys.readouterr().err
    assert "warning: ignoring launcher arguments: a.py --debug b.py" in err


def test_start_keeps_traitlets_options_as_ipython_config_quietly(
    started: list[KernelConfig], capsys: pytest.CaptureFixture[str]
) -> None:
    # nbclient and papermill start every kernel with this option.
    argv = ["-f", "conn.json", "--HistoryManager.hist_file=:memory:", "--InteractiveShell.xmode", "Plain"]
    assert main(argv) == 7
    assert started[0].ipython_options == (
        "--HistoryManager.hist_file=:memory:",
        "--InteractiveShell.xmode",
        "Plain",
    )
    assert capsys.readouterr().err == ""


def test_jupyter_client_kernel_command_with_extra_arguments_starts(
    prefix: Path, started: list[KernelConfig]
) -> None:
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    install(prefix, "concurrent")
    manager = KernelManager(
        kernel_name="braid-concurrent",
        kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernels_dir(prefix))]),
        connection_file=str(prefix / "conn.json"),
    )
    cmd = manager.format_kernel_cmd(extra_arguments=["script.py", "--IPKernelApp.pylab=inline"])
    assert cmd[:4] == [sys.executable, "-Xfrozen_modules=off", "-m", "braid_kernel"]
    assert main(cmd[4:]) == 7
    assert started[0].modes == Mode.CONCURRENT
    assert started[0].connection_file == Path(str(prefix / "conn.json")).resolve()


@pytest.mark.parametrize(("uvloop", "loop"), [(True, None), (False, GuiLoop.QT)])
def test_kernelspec_options_read_back_as_the_installed_config(uvloop: bool, loop: GuiLoop | None) -> None:
    config = KernelConfig(
        modes=Mode.CACHE | Mode.MULTI,
        uvloop=uvloop,
        loop=loop,
        subshell_namespace=SubshellNamespace.ISOLATED,
        session_idle_timeout=0.25,
        log_level="INFO",
        debugger=False,
    )
    parsed, ignored = parse_start_args(kernelspec.config_options(config))
    assert (parsed, ignored) == (config, [])


# --- entry points --------------------------------------------------------------------------------


def test_help_and_version_return_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert main(["--version"]) == 0
    out = capsys.readouterr().out
    assert "install" in out
    assert "braid-kernel 0.1.0" in out


def test_unknown_arguments_to_install_exit_2(prefix: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert install(prefix, "react", "extra") == 2
    assert "unrecognized arguments: extra" in capsys.readouterr().err


def test_python_m_braid_kernel_help_works_in_a_subprocess() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "braid_kernel", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    for command in ("install", "uninstall", "list", "start"):
        assert command in result.stdout


def test_python_m_braid_kernel_start_help_lists_its_options_in_a_subprocess() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "braid_kernel", "start", "--help"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    for flag in ("--connection-file", "--modes", "--backend", "--uvloop", "--loop", "--no-debugger"):
        assert flag in result.stdout


START_IMPORTS = """\
import sys
from braid_kernel.app import cli
ns, extras = cli._parse(["start", "-f", "kernel.json", "--modes", "react", "--HistoryManager.enabled=False"])
print(ns.command, ns.modes.name, extras)
print(sorted(m for m in sys.modules if m.startswith(("braid_kernel.app.kernelspec", "braid_kernel.app.remote",
                                                    "braid_kernel.pythons"))))
"""


def test_start_is_parsed_without_the_other_commands_modules() -> None:
    """Every kernel runs ``start``: the kernelspec, gateway and Python-support modules (~12 ms and
    ~0.4 MB of its startup) are left to the commands that use them."""
    run = subprocess.run([sys.executable, "-c", START_IMPORTS], capture_output=True, text=True, check=True)
    out = run.stdout
    assert out.splitlines() == ["start REACT ['--HistoryManager.enabled=False']", "[]"]
