"""The kernel's variables as DAP variables, without a stopped thread.

JupyterLab's variable explorer shows the user namespace when no cell is
stopped at a breakpoint (``inspectVariables``) and expands structured values
with ``variables`` requests.  debugpy can only answer those for suspended
frames, so this module answers them from the namespace itself: a
:class:`VariableTable` hands out ``variablesReference`` numbers for values
that have children and resolves them later.
"""

from __future__ import annotations

import inspect
import itertools
import re
import types
from collections.abc import Iterator, Mapping
from typing import Any

# Names IPython and the kernel put in the user namespace for their own use.
_INTERNAL_NAMES = frozenset({"In", "Out", "get_ipython", "exit", "quit"})
_INTERNAL_PATTERN = re.compile(r"_+|_i+|_i\d+|_\d+|_[iod]h|__builtins?__|_exit_code")

# debugpy numbers its frames and variables 1, 2, 3...; ours start far above, so a
# reference tells by itself which side can resolve it (DAP wants them < 2**31).
FIRST_REFERENCE = 1 << 30
MAX_VALUE_LENGTH = 1000
MAX_CHILDREN = 1000


def is_internal_name(name: str) -> bool:
    """True for names IPython or the kernel define (``In``, ``_i3``, ``_``...)."""
    return name in _INTERNAL_NAMES or _INTERNAL_PATTERN.fullmatch(name) is not None


def is_user_variable(name: str, value: Any) -> bool:
    """True for what the explorer lists: public names bound to data.

    Private names, IPython's names, and modules, classes and functions
    (which JupyterLab's explorer is not meant to show) are left out.
    """
    if name.startswith("_") or is_internal_name(name):
        return False
    return not (isinstance(value, types.ModuleType | type) or inspect.isroutine(value))


def short_repr(value: Any, limit: int = MAX_VALUE_LENGTH) -> str:
    """``repr(value)`` cut to ``limit`` characters; never raises."""
    try:
        text = repr(value)
    except Exception as exc:
        return f"<repr failed: {type(exc).__name__}: {exc}>"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def type_name(value: Any) -> str:
    """The name DAP shows as the variable's type."""
    cls = type(value)
    return cls.__name__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"


def _children(value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, str | bytes | bytearray | int | float | complex | bool | types.NoneType):
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield short_repr(key, 100), item
    elif isinstance(value, list | tuple | range | set | frozenset):
        for index, item in enumerate(value):
            yield str(index), item
    else:
        attributes = getattr(value, "__dict__", None)
        if isinstance(attributes, dict):
            for key, item in attributes.items():
                if isinstance(key, str) and not key.startswith("__"):
                    yield key, item


def _has_children(value: Any) -> bool:
    try:
        return next(_children(value), None) is not None
    except Exception:
        return False


class VariableTable:
    """``variablesReference`` numbers for values of the namespace and their children.

    References stay valid until :meth:`clear`; numbers are never reused, so a
    stale reference from an earlier listing resolves to nothing rather than to
    another value, and they start at :data:`FIRST_REFERENCE`, far from
    debugpy's.  Not thread-safe: the debugger uses it from one thread.
    """

    def __init__(self) -> None:
        self._numbers = itertools.count(FIRST_REFERENCE)
        self._values: dict[int, Any] = {}

    def clear(self) -> None:
        """Forget every reference handed out so far."""
        self._values.clear()

    def __contains__(self, reference: object) -> bool:
        return reference in self._values

    def describe(self, name: str, value: Any, *, top_level: bool = False) -> dict[str, Any]:
        """The DAP ``Variable`` for ``value``, registering a reference if it has children."""
        reference = 0
        if _has_children(value):
            reference = next(self._numbers)
            self._values[reference] = value
        variable: dict[str, Any] = {
            "name": name,
            "value": short_repr(value),
            "type": type_name(value),
            "variablesReference": reference,
        }
        if top_level:
            variable["evaluateName"] = name
        return variable

    def namespace(self, namespace: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The user variables of ``namespace``, in definition order."""
        return [
            self.describe(name, value, top_level=True)
            for name, value in list(namespace.items())
            if is_user_variable(name, value)
        ]

    def children(self, reference: int, start: int = 0, count: int = 0) -> list[dict[str, Any]]:
        """The children of a referenced value, paged by ``start`` and ``count`` (0: all)."""
        value = self._values[reference]
        stop = start + count if count > 0 else start + MAX_CHILDREN
        try:
            items = list(itertools.islice(_children(value), start, stop))
        except Exception as exc:  # a mapping or property that fails while listing
            return [self.describe("<error>", exc)]
        return [self.describe(name, item) for name, item in items]
