"""The GUI feature: the kernel's GUI host (``--loop tk|qt``, fixed at startup) as the shell sees
it — ``%gui`` replaced, and the checks ``%gui``/``%matplotlib`` run before switching loops."""

from __future__ import annotations

from braid_kernel.engine.modes import GuiLoop
from braid_kernel.features.base import Feature
from braid_kernel.features.gui.shell import GuiMagics, HostedGui
from braid_kernel.shell.ipshell import ZMQInteractiveShell


def build(shell: ZMQInteractiveShell, loop: GuiLoop | None) -> Feature:
    """``loop``: the GUI loop hosting the kernel (None: none).  Gives ``shell`` its
    :class:`~braid_kernel.features.gui.shell.HostedGui` policy as it builds the feature (the
    IPython shell asks it from ``enable_gui``/``enable_matplotlib``)."""
    host = loop.value if loop is not None else None
    shell.gui_policy = HostedGui(host)
    return Feature("gui", magics=(GuiMagics(shell, host),))
