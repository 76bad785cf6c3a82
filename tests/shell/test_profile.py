"""Launcher options as IPython configuration (shell.profile.launcher_config)."""

from __future__ import annotations

from braid_kernel.shell.profile import launcher_config


def test_launcher_options_become_config_sections() -> None:
    config = launcher_config(["--HistoryManager.hist_file=:memory:", "--InteractiveShell.xmode", "Plain"])
    assert config.HistoryManager.hist_file == ":memory:"
    assert config.InteractiveShell.xmode == "Plain"


def test_unreadable_launcher_options_give_an_empty_config() -> None:
    assert launcher_config(["--Session.key"]) == {}  # no value: argparse refuses, the kernel starts
    assert launcher_config([]) == {}
