"""Run an action right after a module is first imported, without importing it ourselves.

:class:`AfterImport` sits first in ``sys.meta_path``; when the watched module is about to be
loaded it asks the finders behind it for the module's spec and wraps that spec's loader's
``exec_module`` (on the loader instance, for that one call), so the action runs once the
module's code has run.  The module keeps its own loader object; the finder leaves
``sys.meta_path`` once it has fired.  When the module is already imported, :meth:`install`
runs the action at once.

The kernel patches modules it does not import itself this way: ``pdb`` (its ``Pdb`` and
``set_trace``, :class:`braid_kernel.process_hooks.OnImport`) and Dask's ``distributed.client``
(the distributed feature's ``Future`` hook).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import logging
import sys
import threading
from collections.abc import Callable, Sequence
from types import ModuleType

log = logging.getLogger("braid_kernel")


class AfterImport(importlib.abc.MetaPathFinder):
    """Calls ``action(module)`` once, right after module ``name`` has been executed."""

    def __init__(self, name: str, action: Callable[[ModuleType], None]) -> None:
        self.name = name
        self._action = action
        self._lock = threading.Lock()
        self._fired = False

    def install(self) -> None:
        module = sys.modules.get(self.name)
        if module is not None:
            self._fire(module)
        elif self not in sys.meta_path:
            sys.meta_path.insert(0, self)

    def uninstall(self) -> None:
        if self in sys.meta_path:
            sys.meta_path.remove(self)

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != self.name:
            return None
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            if finder is self or find is None:
                continue
            spec: importlib.machinery.ModuleSpec | None = find(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        if loader is not None and hasattr(loader, "exec_module"):
            self._wrap(loader)
        return spec

    def _wrap(self, loader: importlib.abc.Loader) -> None:
        original = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            try:
                original(module)
            finally:
                vars(loader).pop("exec_module", None)  # the loader's own method again
            self._fire(module)

        try:
            loader.exec_module = exec_module  # type: ignore[method-assign]
        except AttributeError:  # a loader without instance attributes: no hook, the import goes on
            log.debug("cannot watch the import of %s through %r", self.name, loader)

    def _fire(self, module: ModuleType) -> None:
        with self._lock:
            if self._fired:
                return
            self._fired = True
        self.uninstall()
        try:
            self._action(module)
        except Exception:  # the user's import goes on regardless
            log.warning("preparing %s for the kernel failed", self.name, exc_info=True)
