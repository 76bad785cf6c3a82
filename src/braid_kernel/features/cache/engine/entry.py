"""A cached cell: the values it bound, the names it deleted, the outputs it published.

Entries are pickled with cloudpickle, so functions and classes defined in the notebook are stored
by value.  One thing is done differently: a function whose globals are the notebook's namespace
is stored without them and, when loaded, bound to the namespace of the kernel loading it (plain
cloudpickle would give it a private copy of the globals it read, so a restored function would
never see later changes of those names).

A class of the notebook that the cell did not define (say the class of an instance it made) is
stored as a reference — its name and fingerprint — and resolved to the class of that name in the
namespace it is loaded into, so ``isinstance`` keeps working after a restart.  If that class is
missing or different, the entry cannot be restored (:class:`StaleReference`): a miss.
"""

from __future__ import annotations

import functools
import io
import pickle
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from types import FunctionType
from typing import Any

from braid_kernel.errors import StaleReference, Unpicklable
from braid_kernel.features.cache.engine.fingerprint import Fingerprinter
from braid_kernel.features.cache.engine.recording import OutputEvent

__all__ = ("Entry", "StaleReference", "Unpicklable", "dump_entry", "load_entry")

_target_namespace: ContextVar[dict[str, Any] | None] = ContextVar("braid_cache_namespace", default=None)


@dataclass(frozen=True)  # not slotted: pickles without dataclasses.fields()
class Entry:
    """What a cell left behind, to be restored without running it."""

    values: dict[str, Any]  # names the cell bound or changed, with their values after it ran
    deleted: tuple[str, ...]  # names the cell removed
    outputs: tuple[OutputEvent, ...]  # what it published, in order


@functools.cache
def _pickler_class() -> Callable[[Any, Mapping[str, Any], frozenset[int]], pickle.Pickler]:
    """cloudpickle's Pickler, storing notebook functions without their globals and notebook
    classes the cell did not define (ids not in ``own``) by reference (imported on first use:
    the kernel starts faster without it)."""
    import cloudpickle  # type: ignore[import-untyped]

    class EntryPickler(cloudpickle.Pickler):  # type: ignore[misc]
        def __init__(self, file: Any, namespace: Mapping[str, Any], own: frozenset[int]) -> None:
            super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
            self._namespace = namespace
            self._module = namespace.get("__name__", "__main__")
            self._own = own
            self._fingerprints = Fingerprinter(str(self._module))

        def reducer_override(self, obj: Any) -> Any:
            if type(obj) is FunctionType and obj.__globals__ is self._namespace:
                return (_rebind_function, (_function_parts(obj),))
            if isinstance(obj, type) and self._is_notebook_class(obj):
                return (_resolve_class, (obj.__name__, self._fingerprints.value(obj)))
            return super().reducer_override(obj)

        def _is_notebook_class(self, cls: type) -> bool:
            return (
                id(cls) not in self._own
                and cls.__module__ == self._module
                and self._namespace.get(cls.__name__) is cls
            )

    return EntryPickler


def _resolve_class(name: str, fingerprint: bytes) -> type:
    """The namespace's class ``name``, if it is the one the entry was made with."""
    namespace = _target_namespace.get() or {}
    found = namespace.get(name)
    if isinstance(found, type):
        module = str(namespace.get("__name__", "__main__"))
        if Fingerprinter(module).value(found) == fingerprint:
            return found
    raise StaleReference(f"class {name} is not the one this entry was made with")


def _function_parts(fn: FunctionType) -> tuple[Any, ...]:
    return (
        fn.__code__,
        fn.__name__,
        fn.__defaults__,
        fn.__closure__,
        fn.__kwdefaults__,
        fn.__qualname__,
        fn.__module__,
        fn.__doc__,
        fn.__dict__ or None,
        fn.__annotations__ or None,
    )


def _rebind_function(parts: tuple[Any, ...]) -> FunctionType:
    """Recreate a notebook function (from :func:`_function_parts`) in the namespace being
    restored into."""
    code, name, defaults, closure, kwdefaults, qualname, module, doc, attributes, annotations = parts
    namespace = _target_namespace.get()
    if namespace is None:
        namespace = {"__name__": module}
    fn = FunctionType(code, namespace, name, defaults, closure)
    fn.__kwdefaults__ = kwdefaults
    fn.__qualname__ = qualname
    fn.__module__ = module
    fn.__doc__ = doc
    if attributes:
        fn.__dict__.update(attributes)
    if annotations:
        fn.__annotations__ = annotations
    return fn


def dump_entry(entry: Entry, namespace: Mapping[str, Any]) -> bytes:
    """Pickle ``entry``; raises :class:`Unpicklable` naming the value that cannot be pickled."""
    buffer = io.BytesIO()
    own = frozenset(id(value) for value in entry.values.values() if isinstance(value, type))
    try:
        _pickler_class()(buffer, namespace, own).dump(entry)
    except Exception as exc:
        raise Unpicklable(_culprit(entry, namespace, own, exc)) from None
    return buffer.getvalue()


def _culprit(entry: Entry, namespace: Mapping[str, Any], own: frozenset[int], error: Exception) -> str:
    """Which value blocked pickling, found by pickling them one by one."""
    for name, value in sorted(entry.values.items()):
        try:
            _pickler_class()(io.BytesIO(), namespace, own).dump(value)
        except Exception as exc:
            return f"the value of `{name}` cannot be pickled: {_describe(exc)}"
    return f"its outputs cannot be pickled: {_describe(error)}"


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"


def load_entry(data: bytes | memoryview, namespace: dict[str, Any]) -> Entry:
    """Unpickle an entry, binding its notebook functions to ``namespace``.

    Raises :class:`StaleReference` when a class it refers to changed, or whatever unpickling
    raises (a missing module, a corrupt payload).
    """
    token = _target_namespace.set(namespace)
    try:
        entry = pickle.loads(data)
    finally:
        _target_namespace.reset(token)
    if not isinstance(entry, Entry):
        raise TypeError(f"not a cache entry: {type(entry).__name__}")
    return entry
