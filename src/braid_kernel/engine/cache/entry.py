"""A cached cell: the values it bound, the names it deleted, the outputs it published.

Entries are pickled with cloudpickle, so functions and classes defined in the notebook are stored
by value.  One thing is done differently: a function whose globals are the notebook's namespace
is stored without them and, when loaded, bound to the namespace of the kernel loading it (plain
cloudpickle would give it a private copy of the globals it read, so a restored function would
never see later changes of those names).
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

from braid_kernel.routing.recording import OutputEvent

__all__ = ("Entry", "Unpicklable", "dump_entry", "load_entry")

_target_namespace: ContextVar[dict[str, Any] | None] = ContextVar("braid_cache_namespace", default=None)


class Unpicklable(Exception):
    """An output value cannot be stored; ``str()`` names it and says why."""


@dataclass(frozen=True, slots=True)
class Entry:
    """What a cell left behind, to be restored without running it."""

    values: dict[str, Any]  # names the cell bound or changed, with their values after it ran
    deleted: tuple[str, ...]  # names the cell removed
    outputs: tuple[OutputEvent, ...]  # what it published, in order


@functools.cache
def _pickler_class() -> Callable[[Any, Mapping[str, Any]], pickle.Pickler]:
    """cloudpickle's Pickler, storing notebook functions without their globals (imported on
    first use: the kernel starts faster without it)."""
    import cloudpickle  # type: ignore[import-untyped]

    class EntryPickler(cloudpickle.Pickler):  # type: ignore[misc]
        def __init__(self, file: Any, namespace: Mapping[str, Any]) -> None:
            super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
            self._namespace = namespace

        def reducer_override(self, obj: Any) -> Any:
            if type(obj) is FunctionType and obj.__globals__ is self._namespace:
                return (_rebind_function, (_function_parts(obj),))
            return super().reducer_override(obj)

    return EntryPickler


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
    try:
        _pickler_class()(buffer, namespace).dump(entry)
    except Exception as exc:
        raise Unpicklable(_culprit(entry, namespace, exc)) from None
    return buffer.getvalue()


def _culprit(entry: Entry, namespace: Mapping[str, Any], error: Exception) -> str:
    """Which value blocked pickling, found by pickling them one by one."""
    for name, value in sorted(entry.values.items()):
        try:
            _pickler_class()(io.BytesIO(), namespace).dump(value)
        except Exception as exc:
            return f"the value of `{name}` cannot be pickled: {_describe(exc)}"
    return f"its outputs cannot be pickled: {_describe(error)}"


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"


def load_entry(data: bytes, namespace: dict[str, Any]) -> Entry:
    """Unpickle an entry, binding its notebook functions to ``namespace``.

    Raises whatever unpickling raises (a missing module, a corrupt payload).
    """
    token = _target_namespace.set(namespace)
    try:
        entry = pickle.loads(data)
    finally:
        _target_namespace.reset(token)
    if not isinstance(entry, Entry):
        raise TypeError(f"not a cache entry: {type(entry).__name__}")
    return entry
