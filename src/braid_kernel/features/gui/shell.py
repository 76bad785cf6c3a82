"""GUI event loops as the shell sees them: what ``%gui`` and ``%matplotlib`` may switch to.

The kernel's GUI host is fixed at startup (``--loop tk|qt``), so these never start a loop:
``%gui tk`` / ``%matplotlib tk`` succeed when the kernel hosts Tk and otherwise fail with what to
do instead; ``%gui`` alone says what is possible.  Inline figures and ipympl widgets
(``%matplotlib widget``) need no GUI loop and work in every kernel.  :mod:`.feature` gives
the shell its :class:`HostedGui` (the checks ``enable_gui``/``enable_matplotlib`` run, see
:class:`~braid_kernel.shell.ipshell.GuiPolicy`) and replaces IPython's ``%gui``.
"""

from __future__ import annotations

from IPython.core.magic import Magics, line_magic, magics_class

from braid_kernel.routing import platform
from braid_kernel.shell.ipshell import ZMQInteractiveShell

__all__ = (
    "GuiMagics",
    "HostedGui",
    "check_gui_request",
    "check_matplotlib_request",
    "describe_gui",
)

_NO_LOOP = (None, "", "inline", "agg", "widget", "ipympl", "nbagg")
_TOOLKIT_OF = {"tk": "tk", "qt": "qt", "qt5": "qt", "qt6": "qt"}


def check_gui_request(gui: str | None, host: str | None) -> None:
    """Accept ``gui`` when it needs no loop or is the kernel's host; else ``RuntimeError``."""
    if gui in _NO_LOOP:
        return
    wanted = _TOOLKIT_OF.get(str(gui))
    if wanted is not None and wanted == host:
        return
    if platform.IN_BROWSER:
        raise RuntimeError(
            f"GUI event loop {gui!r} is not available in the browser (Pyodide has no Tk or Qt). "
            "Use %matplotlib inline or %matplotlib widget here."
        )
    running = f"this kernel hosts the {host} event loop" if host else "this kernel runs no GUI event loop"
    install = f"braid-kernel install --loop {wanted}" if wanted else "braid-kernel install --loop tk|qt"
    raise RuntimeError(
        f"GUI event loop {gui!r} is not available: {running}. Use %matplotlib inline or "
        f"%matplotlib widget here, or pick a kernel installed with `{install}`."
    )


def check_matplotlib_request(gui: str | None, host: str | None, selected: str | None) -> None:
    """``%matplotlib GUI``: refuse before matplotlib switches backends (IPython switches first and
    asks for the event loop after, which would leave figures without a loop to draw them)."""
    from IPython.core.pylabtools import find_gui_and_backend

    try:
        wanted, _ = find_gui_and_backend(gui, selected)
    except Exception:  # an unknown name: IPython's own error is the clearer one
        return
    check_gui_request(wanted, host)


def describe_gui(host: str | None) -> str:
    """What ``%gui`` without arguments prints."""
    always = "%matplotlib inline, %matplotlib widget (ipympl)"
    if host is None:
        return (
            "No GUI event loop runs in this kernel. Possible here: "
            f"{always}. For live Tk or Qt windows, pick a kernel installed with "
            "`braid-kernel install --loop tk` (or `--loop qt`)."
        )
    other = "qt" if host == "tk" else "tk"
    return (
        f"GUI event loop: {host} (the kernel's event loop runs as its guest; windows stay live "
        f"while cells run and await). Possible here: %gui {host}, %matplotlib {host}, {always}. "
        f"For {other}, pick a kernel installed with `braid-kernel install --loop {other}`."
    )


class HostedGui:
    """The kernel's GUI loop as the shell sees it (a :class:`~braid_kernel.shell.ipshell.GuiPolicy`):
    ``host`` is ``"tk"``, ``"qt"`` or None (no GUI loop)."""

    def __init__(self, host: str | None) -> None:
        self.host = host

    def check_gui(self, gui: str | None) -> None:
        check_gui_request(gui, self.host)

    def check_matplotlib(self, gui: str | None, selected: str | None) -> None:
        check_matplotlib_request(gui, self.host, selected)


@magics_class
class GuiMagics(Magics):  # type: ignore[misc]
    """``%gui``: report the kernel's GUI loop, or check that a toolkit is the one it hosts."""

    def __init__(self, shell: ZMQInteractiveShell, host: str | None) -> None:
        super().__init__(shell=shell)
        self.host = host

    @line_magic  # type: ignore[untyped-decorator]
    def gui(self, line: str) -> None:
        """``%gui`` shows what is possible; ``%gui NAME`` checks that NAME can be used here."""
        name = line.strip() or None
        if name is None:
            print(describe_gui(self.host))
            return
        self.shell.enable_gui(name)
        if name not in _NO_LOOP:
            print(f"GUI event loop {self.host} is running (the kernel's host).")
