"""The GUI feature: the kernel's GUI host (``--loop tk|qt``, fixed at startup) — the toolkit's main
loop hosting the main shell's loop (checked when the feature is built: a missing toolkit or display
ends the kernel's start with a message naming what to install or set), and as the shell sees it:
``%gui`` replaced, and the checks ``%gui``/``%matplotlib`` run before switching loops.  The engine
(the hosts and guests) is imported only by a kernel started with a GUI loop."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

from braid_kernel.engine.modes import Backend, GuiLoop, WakeupHook
from braid_kernel.features.base import Feature
from braid_kernel.features.gui.shell import GuiMagics, HostedGui
from braid_kernel.shell.ipshell import ZMQInteractiveShell


def build(shell: ZMQInteractiveShell, loop: GuiLoop | None, backend: Backend) -> Feature:
    """``loop``: the GUI loop hosting the kernel (None: none) on ``backend``; raises
    :class:`~braid_kernel.errors.ConfigError` when it cannot run here.  Gives ``shell`` its
    :class:`~braid_kernel.features.gui.shell.HostedGui` policy as it builds the feature (the
    IPython shell asks it from ``enable_gui``/``enable_matplotlib``)."""
    if loop is not None:
        from braid_kernel.features.gui.engine import check_gui  # a GUI host only: see the module

        check_gui(loop, backend)
    host = loop.value if loop is not None else None
    shell.gui_policy = HostedGui(host)
    return Feature(
        "gui",
        magics=(GuiMagics(shell, host),),
        main_loop=None if loop is None else functools.partial(_run_guest, loop, backend),
    )


def _run_guest(
    loop: GuiLoop,
    backend: Backend,
    main: Callable[[], Awaitable[None]],
    wakeup: Callable[[int], WakeupHook],
) -> None:
    from braid_kernel.features.gui.engine import run_guest

    run_guest(loop, backend, main, wakeup=wakeup)
