"""Being recognised as a Jupyter kernel by libraries that look for ipykernel's modules.

``tqdm.auto`` (``tqdm.autonotebook``) draws a widget progress bar only when ``ipykernel.zmqshell``
has been imported; otherwise it falls back to the text bar of a terminal.  Importing that module at
startup would cost every kernel some 50 ms (it pulls in jupyter_client), so
:class:`ImportTrigger` waits for the first import of ``tqdm.autonotebook`` and imports ipykernel's
module just before it, when ipykernel is installed (it is wherever JupyterLab or Notebook is).
Libraries that test the shell's class name instead are served by the name of
:class:`~braid_kernel.shell.ipshell.ZMQInteractiveShell`.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import logging
import sys
import threading
from collections.abc import Callable, Sequence
from types import ModuleType

log = logging.getLogger("braid_kernel")

JUPYTER_MARKER = "ipykernel.zmqshell"  # the module tqdm.autonotebook looks for


class ImportTrigger(importlib.abc.MetaPathFinder):
    """Runs an action once, just before the first import of a given module; then leaves
    ``sys.meta_path``.  It never finds modules itself."""

    def __init__(self, triggers: dict[str, Callable[[], None]]) -> None:
        self._triggers = dict(triggers)
        self._lock = threading.Lock()

    def install(self) -> None:
        if self not in sys.meta_path:
            sys.meta_path.insert(0, self)

    def uninstall(self) -> None:
        if self in sys.meta_path:
            sys.meta_path.remove(self)

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self._triggers:
            return None
        with self._lock:
            action = self._triggers.pop(fullname, None)
            if not self._triggers:
                self.uninstall()
        if action is not None:
            try:
                action()
            except Exception:  # the import the user asked for must go on regardless
                log.debug("preparing the import of %s failed", fullname, exc_info=True)
        return None


def _import_jupyter_marker() -> None:
    try:
        importlib.import_module(JUPYTER_MARKER)
    except ImportError:
        log.debug("ipykernel is not installed: tqdm.auto will draw text progress bars")


def jupyter_detection() -> ImportTrigger | None:
    """The trigger that makes ``tqdm.auto`` see a Jupyter kernel, not installed yet (see
    :mod:`braid_kernel.process_hooks`); None when ipykernel's module is already imported (nothing
    to do)."""
    if JUPYTER_MARKER in sys.modules:
        return None
    return ImportTrigger({"tqdm.autonotebook": _import_jupyter_marker})
