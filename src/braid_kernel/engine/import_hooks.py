"""Acting on the first import of a module, without importing it ourselves.

Each hook sits first in ``sys.meta_path`` until the watched module is first imported, runs its
action once, and leaves; it never finds a module itself.

* :class:`BeforeImport` runs ``action()`` just before the module is loaded (the kernel imports
  ipykernel's ``zmqshell`` before ``tqdm.autonotebook`` looks for it,
  :mod:`braid_kernel.integrations.detection`).
* :class:`AfterImport` runs ``action(module)`` once the module's code has run: it asks the finders
  behind it for the module's spec and wraps that spec's loader's ``exec_module`` (on the loader
  instance, for that one call); the module keeps its own loader object.  When the module is
  already imported, :meth:`AfterImport.install` runs the action at once.  The kernel patches
  modules it does not import itself this way: ``pdb`` (its ``Pdb`` and ``set_trace``,
  :class:`braid_kernel.process_hooks.OnImport`) and Dask's ``distributed.client`` (the distributed
  feature's ``Future`` hook).
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


class _FirstImport(importlib.abc.MetaPathFinder):
    """A meta-path hook on the first import of module ``name``, which fires once."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._lock = threading.Lock()
        self._fired = False

    def install(self) -> None:
        if self not in sys.meta_path:
            sys.meta_path.insert(0, self)

    def uninstall(self) -> None:
        if self in sys.meta_path:
            sys.meta_path.remove(self)

    def _fire_once(self) -> bool:
        """True the first time (and the hook leaves ``sys.meta_path``), False after."""
        with self._lock:
            if self._fired:
                return False
            self._fired = True
        self.uninstall()
        return True


class BeforeImport(_FirstImport):
    """Calls ``action()`` once, just before module ``name`` is first loaded."""

    def __init__(self, name: str, action: Callable[[], None]) -> None:
        super().__init__(name)
        self._action = action

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname == self.name and self._fire_once():
            try:
                self._action()
            except Exception:  # the import the user asked for must go on regardless
                log.debug("preparing the import of %s failed", fullname, exc_info=True)
        return None


class AfterImport(_FirstImport):
    """Calls ``action(module)`` once, right after module ``name`` has been executed."""

    def __init__(self, name: str, action: Callable[[ModuleType], None]) -> None:
        super().__init__(name)
        self._action = action

    def install(self) -> None:
        module = sys.modules.get(self.name)
        if module is not None:
            self._fire(module)
        else:
            super().install()

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
        if not self._fire_once():
            return
        try:
            self._action(module)
        except Exception:  # the user's import goes on regardless
            log.warning("preparing %s for the kernel failed", self.name, exc_info=True)
