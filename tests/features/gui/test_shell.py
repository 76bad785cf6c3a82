"""What %gui and %matplotlib may switch to, decided by the kernel's GUI host (no kernel needed)."""

from __future__ import annotations

import pytest

from braid_kernel.features.gui.shell import HostedGui, check_gui_request, describe_gui


@pytest.mark.parametrize("gui", [None, "inline", "widget", "agg"])
def test_loopless_backends_are_accepted_in_every_kernel(gui: str | None) -> None:
    HostedGui(None).check_gui(gui)
    HostedGui("tk").check_gui(gui)


def test_only_the_hosting_toolkit_is_accepted() -> None:
    HostedGui("qt").check_gui("qt5")  # every Qt name is the Qt host
    with pytest.raises(RuntimeError, match="this kernel hosts the qt event loop") as refused:
        HostedGui("qt").check_gui("tk")
    assert "braid-kernel install --loop tk" in str(refused.value)
    with pytest.raises(RuntimeError, match="runs no GUI event loop"):
        check_gui_request("qt", None)


def test_matplotlib_gui_backends_are_checked_before_switching() -> None:
    pytest.importorskip("matplotlib")
    HostedGui("tk").check_matplotlib("tk", None)
    with pytest.raises(RuntimeError, match="'qt' is not available"):
        HostedGui("tk").check_matplotlib("qt", None)
    HostedGui(None).check_matplotlib("inline", None)


def test_gui_magic_text_names_what_is_possible() -> None:
    assert "No GUI event loop" in describe_gui(None)
    hosted = describe_gui("tk")
    assert "%gui tk" in hosted and "--loop qt" in hosted
