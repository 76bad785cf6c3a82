"""Being recognised as a Jupyter kernel by libraries that look for ipykernel's modules.

``tqdm.auto`` (``tqdm.autonotebook``) draws a widget progress bar only when ``ipykernel.zmqshell``
has been imported; otherwise it falls back to the text bar of a terminal.  Importing that module at
startup would cost every kernel some 50 ms (it pulls in jupyter_client), so
:func:`jupyter_detection` waits (a :class:`~braid_kernel.engine.import_hooks.BeforeImport` hook) for
the first import of ``tqdm.autonotebook`` and imports ipykernel's module just before it, when
ipykernel is installed (it is wherever JupyterLab or Notebook is).
Libraries that test the shell's class name instead are served by the name of
:class:`~braid_kernel.shell.ipshell.ZMQInteractiveShell`.
"""

from __future__ import annotations

import importlib
import logging
import sys

from braid_kernel.engine.import_hooks import BeforeImport

log = logging.getLogger("braid_kernel")

JUPYTER_MARKER = "ipykernel.zmqshell"  # the module tqdm.autonotebook looks for


def _import_jupyter_marker() -> None:
    try:
        importlib.import_module(JUPYTER_MARKER)
    except ImportError:
        log.debug("ipykernel is not installed: tqdm.auto will draw text progress bars")


def jupyter_detection() -> BeforeImport | None:
    """The trigger that makes ``tqdm.auto`` see a Jupyter kernel, not installed yet (see
    :mod:`braid_kernel.process_hooks`); None when ipykernel's module is already imported (nothing
    to do)."""
    if JUPYTER_MARKER in sys.modules:
        return None
    return BeforeImport("tqdm.autonotebook", _import_jupyter_marker)
