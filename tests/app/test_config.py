"""KernelConfig defaults and validation, and the names a set of choices is installed under."""

from __future__ import annotations

import dataclasses

import pytest

from braid_kernel.app.config import (
    KernelConfig,
    SubshellNamespace,
    display_name,
    kernelspec_name,
)
from braid_kernel.engine.modes import Backend, GuiLoop, Mode
from braid_kernel.errors import ConfigError


def test_default_config_is_chained_asyncio_shared_with_debugger() -> None:
    config = KernelConfig()
    assert config.connection_file is None
    assert config.modes == Mode(0)
    assert config.backend is Backend.ASYNCIO
    assert config.uvloop is False
    assert config.loop is None
    assert config.subshell_namespace is SubshellNamespace.SHARED
    assert config.session_idle_timeout is None
    assert config.log_level == "WARNING"
    assert config.debugger is True


def test_config_is_frozen() -> None:
    config = KernelConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.debugger = False  # type: ignore[misc]


def test_enums_use_the_spelling_of_the_command_line() -> None:
    assert [loop.value for loop in GuiLoop] == ["tk", "qt"]
    assert [ns.value for ns in SubshellNamespace] == ["shared", "isolated"]


@pytest.mark.parametrize(
    ("modes", "backend", "uvloop", "loop", "expected"),
    [
        (Mode(0), Backend.ASYNCIO, False, None, "braid"),
        (Mode.REACT | Mode.CONCURRENT, Backend.ASYNCIO, False, None, "braid-concurrent-react"),
        (Mode(0), Backend.TRIO, False, None, "braid-trio"),
        (Mode.CONCURRENT, Backend.TRIO, False, GuiLoop.TK, "braid-concurrent-trio-tk"),
        (Mode.MULTI | Mode.CACHE, Backend.ASYNCIO, True, GuiLoop.QT, "braid-cache-multi-uvloop-qt"),
        (Mode.CACHE | Mode.MULTI | Mode.REACT | Mode.CONCURRENT, Backend.ASYNCIO, False, None,
         "braid-cache-concurrent-multi-react"),
    ],
)  # fmt: skip
def test_kernelspec_name_puts_sorted_modes_then_backend_uvloop_loop(
    modes: Mode, backend: Backend, uvloop: bool, loop: GuiLoop | None, expected: str
) -> None:
    assert kernelspec_name(modes, backend, uvloop, loop) == expected


@pytest.mark.parametrize(
    ("modes", "backend", "uvloop", "loop", "expected"),
    [
        (Mode(0), Backend.ASYNCIO, False, None, "Python 3 (braid)"),
        (Mode.REACT | Mode.CONCURRENT, Backend.TRIO, False, GuiLoop.TK,
         "Python 3 (braid: concurrent, react; trio; tk)"),
        (Mode(0), Backend.ASYNCIO, True, None, "Python 3 (braid: uvloop)"),
        (Mode.CACHE, Backend.ASYNCIO, False, GuiLoop.QT, "Python 3 (braid: cache; qt)"),
    ],
)  # fmt: skip
def test_display_name_lists_choices_after_a_colon(
    modes: Mode, backend: Backend, uvloop: bool, loop: GuiLoop | None, expected: str
) -> None:
    assert display_name(modes, backend, uvloop, loop) == expected


def test_kernelspec_name_defaults_to_asyncio_without_gui_loop() -> None:
    assert kernelspec_name(Mode.REACT) == "braid-react"
    assert display_name(Mode.REACT) == "Python 3 (braid: react)"


def test_config_spec_names_follow_its_choices() -> None:
    config = KernelConfig(modes=Mode.CONCURRENT, backend=Backend.TRIO, loop=GuiLoop.QT)
    assert config.spec_name == "braid-concurrent-trio-qt"
    assert config.spec_display_name == "Python 3 (braid: concurrent; trio; qt)"


def test_options_outside_the_name_do_not_change_it() -> None:
    config = KernelConfig(
        subshell_namespace=SubshellNamespace.ISOLATED, session_idle_timeout=60, debugger=False
    )
    assert config.spec_name == "braid"


def test_uvloop_on_trio_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="uvloop"):
        KernelConfig(backend=Backend.TRIO, uvloop=True)


@pytest.mark.parametrize("timeout", [0.0, -1.0, float("nan")])
def test_non_positive_idle_timeout_is_a_config_error(timeout: float) -> None:
    with pytest.raises(ConfigError, match="positive"):
        KernelConfig(session_idle_timeout=timeout)


def test_unknown_log_level_is_a_config_error_naming_the_levels() -> None:
    with pytest.raises(ConfigError, match="DEBUG, INFO, WARNING, ERROR, CRITICAL"):
        KernelConfig(log_level="LOUD")
