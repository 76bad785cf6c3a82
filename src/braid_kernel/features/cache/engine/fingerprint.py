"""Content hashes of a cell's input values, the same in every process.

A value's fingerprint is a SHA-256 digest of its pickled form (protocol 5; large buffers such as
numpy arrays are hashed in place, not copied), except for the objects pickle would save by name
only, which would let a redefinition go unnoticed.  Those are replaced, wherever they appear
(also inside lists, dicts or instances), by fingerprints of their own:

* **functions of the notebook** (and lambdas and closures: anything not importable by name) — by
  their code (bytecode, constants, names; not line numbers, so comments and blank lines do not
  count), defaults, closure cells and the values of the globals their code reads, transitively
  (a function calling a redefined helper changes too);
* **classes of the notebook** — by name, bases and the fingerprints of their attributes;
* **modules** — by name and version (``__version__`` or the installed distribution's version;
  for a module without one, its file's size and modification time);
* **functions and classes of installed modules** — by reference and their module's version.

A value that cannot be fingerprinted (an open file, a lock, a generator) raises
:class:`Unhashable`.  Fingerprints are deterministic across processes for the same Python
version (which is part of every cache key) — except that a set's pickled order can differ
between processes for strings, which only costs a miss.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import sys
from collections.abc import Callable, Mapping
from types import BuiltinFunctionType, CodeType, FunctionType, MethodType, ModuleType
from typing import Any

from braid_kernel.errors import Unhashable

__all__ = ("Fingerprinter", "Unhashable", "code_fingerprint", "global_names")

_ABSENT = b"absent"


def _new_hash(tag: bytes) -> Any:
    h = hashlib.sha256()  # hardware-accelerated on most CPUs: ~1 GB/s, twice BLAKE2b's speed here
    h.update(tag)
    return h


def _ref(digest: bytes) -> bytes:
    """Stands in a pickle for an object replaced by its fingerprint (never called)."""
    return digest


class _HashWriter(io.RawIOBase):
    """A binary file that feeds everything written to it into a hash."""

    def __init__(self, h: Any) -> None:
        super().__init__()
        self._update = h.update

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._update(data)
        return len(data)


class _KeyPickler(pickle.Pickler):
    """Pickles a value for hashing, replacing code-bearing objects by their fingerprints."""

    def __init__(self, file: Any, fingerprinter: Fingerprinter, h: Any) -> None:
        def out_of_band(buffer: pickle.PickleBuffer) -> bool:
            h.update(buffer.raw())  # hashed in place: no copy of a large array
            return False

        super().__init__(file, protocol=5, buffer_callback=out_of_band)
        self._fp = fingerprinter

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, _CODE_BEARING) and obj is not _ref:
            return (_ref, (self._fp.value(obj),))
        return NotImplemented


_CODE_BEARING = (
    FunctionType,
    type,
    ModuleType,
    MethodType,
    BuiltinFunctionType,
    CodeType,
    property,
    staticmethod,
    classmethod,
)


class Fingerprinter:
    """Fingerprints values for one cache key computation.

    Results are memoised by object identity for the life of this object, so build a new one for
    every cell (the objects are alive meanwhile, so identities cannot be reused).
    ``user_module`` is the ``__name__`` of the namespace cells run in; ``versions`` remembers
    package versions between fingerprinters (looking one up can take milliseconds).
    """

    def __init__(self, user_module: str = "__main__", versions: dict[str, str] | None = None) -> None:
        self._user_module = user_module
        self._versions = {} if versions is None else versions
        self._memo: dict[int, bytes] = {}
        self._alive: list[Any] = []  # keeps memoised objects (and so their ids) alive
        self._active: set[int] = set()

    def value(self, obj: Any) -> bytes:
        """The fingerprint of ``obj``; raises :class:`Unhashable`."""
        key = id(obj)
        digest = self._memo.get(key)
        if digest is not None:
            return digest
        if key in self._active:  # a cycle (recursive function): its name stands for it
            return b"cycle:" + _qualname(obj).encode()
        self._active.add(key)
        try:
            digest = self._compute(obj)
        finally:
            self._active.discard(key)
        self._memo[key] = digest
        self._alive.append(obj)
        return digest

    def names(self, namespace: Mapping[str, Any], names: list[str]) -> dict[str, bytes]:
        """Fingerprints of ``names`` in ``namespace`` (absent names get a fixed marker)."""
        out: dict[str, bytes] = {}
        for name in names:
            if name in namespace:
                try:
                    out[name] = self.value(namespace[name])
                except Unhashable as exc:
                    raise Unhashable(f"the value of `{name}` cannot be hashed: {exc}") from None
            else:
                out[name] = _ABSENT
        return out

    # ------------------------------------------------------------ kinds of values
    def _compute(self, obj: Any) -> bytes:
        handler = _HANDLERS.get(type(obj))
        if handler is not None:
            return handler(self, obj)
        if isinstance(obj, type):
            return self._class(obj)
        if isinstance(obj, ModuleType):
            return self._module(obj)
        return self._pickled(obj)

    def _pickled(self, obj: Any) -> bytes:
        h = _new_hash(b"value")
        try:
            _KeyPickler(_HashWriter(h), self, h).dump(obj)
        except Unhashable:
            raise
        except RecursionError:
            raise Unhashable(f"{type(obj).__name__} is nested too deeply") from None
        except Exception as exc:
            raise Unhashable(f"{type(exc).__name__}: {exc}") from None
        return bytes(h.digest())

    def _function(self, fn: FunctionType) -> bytes:
        if self._importable(fn):
            return self._reference(fn)
        h = _new_hash(b"function")
        code = fn.__code__
        h.update(code_fingerprint(code))
        h.update(self.value(fn.__defaults__))
        h.update(self.value(fn.__kwdefaults__))
        for cell in fn.__closure__ or ():
            try:
                contents = cell.cell_contents
            except ValueError:  # an empty cell
                h.update(_ABSENT)
            else:
                h.update(self.value(contents))
        globals_ = fn.__globals__
        for name in sorted(global_names(code)):
            h.update(name.encode() + b"=")
            h.update(self.value(globals_[name]) if name in globals_ else _ABSENT)
        return bytes(h.digest())

    def _method(self, method: MethodType) -> bytes:
        h = _new_hash(b"method")
        h.update(self.value(method.__func__))
        h.update(self.value(method.__self__))
        return bytes(h.digest())

    def _builtin(self, fn: BuiltinFunctionType) -> bytes:
        owner = fn.__self__
        if owner is None or isinstance(owner, ModuleType):
            return self._reference(fn)
        h = _new_hash(b"bound-builtin")  # e.g. [].append: the object and the method's name
        h.update(fn.__name__.encode())
        h.update(self.value(owner))
        return bytes(h.digest())

    def _class(self, cls: type) -> bytes:
        if self._importable(cls):
            return self._reference(cls)
        h = _new_hash(b"class")
        h.update(cls.__qualname__.encode())
        for base in cls.__bases__:
            h.update(self.value(base))
        for name, attr in sorted(vars(cls).items()):
            if name in _CLASS_BOOKKEEPING:
                continue
            h.update(name.encode() + b"=")
            h.update(self.value(attr))
        return bytes(h.digest())

    def _wrapper(self, obj: property | staticmethod[Any, Any] | classmethod[Any, Any, Any]) -> bytes:
        h = _new_hash(type(obj).__name__.encode())
        parts = (obj.fget, obj.fset, obj.fdel) if isinstance(obj, property) else (obj.__func__,)
        for part in parts:
            h.update(self.value(part))
        return bytes(h.digest())

    def _code(self, code: CodeType) -> bytes:
        return code_fingerprint(code)

    def _module(self, module: ModuleType) -> bytes:
        h = _new_hash(b"module")
        h.update(module.__name__.encode() + b"@" + _module_version(module, self._versions).encode())
        return bytes(h.digest())

    # ------------------------------------------------------------ references
    def _importable(self, obj: Any) -> bool:
        """Whether pickle would find ``obj`` again by module and qualified name."""
        module_name = getattr(obj, "__module__", None)
        if not module_name or module_name == self._user_module:
            return False
        module = sys.modules.get(module_name)
        if module is None:
            return False
        found: Any = module
        for part in obj.__qualname__.split("."):
            found = getattr(found, part, None)
            if found is None:
                return False
        return found is obj

    def _reference(self, obj: Any) -> bytes:
        module_name = getattr(obj, "__module__", None) or "builtins"
        h = _new_hash(b"ref")
        h.update(f"{module_name}:{obj.__qualname__}".encode())
        module = sys.modules.get(module_name)
        if module is not None:
            h.update(b"@" + _module_version(module, self._versions).encode())
        return bytes(h.digest())


# Class attributes that say nothing about behaviour (``__slotnames__`` is added by pickling).
_CLASS_BOOKKEEPING = frozenset({"__dict__", "__weakref__", "__module__", "__slotnames__"})

_HANDLERS: dict[type, Callable[[Fingerprinter, Any], bytes]] = {
    FunctionType: Fingerprinter._function,
    MethodType: Fingerprinter._method,
    BuiltinFunctionType: Fingerprinter._builtin,
    CodeType: Fingerprinter._code,
    property: Fingerprinter._wrapper,
    staticmethod: Fingerprinter._wrapper,
    classmethod: Fingerprinter._wrapper,
    ModuleType: Fingerprinter._module,
}


def code_fingerprint(code: CodeType) -> bytes:
    """A digest of what a code object does: bytecode, constants (nested code objects included),
    names, argument counts and flags — not its file name or line numbers."""
    h = _new_hash(b"code")
    _feed_code(h, code)
    return bytes(h.digest())


def _feed_code(h: Any, code: CodeType) -> None:
    h.update(code.co_code)
    h.update(code.co_exceptiontable)
    signature = (
        code.co_qualname,
        code.co_argcount,
        code.co_posonlyargcount,
        code.co_kwonlyargcount,
        code.co_flags,
        code.co_names,
        code.co_varnames,
        code.co_freevars,
        code.co_cellvars,
    )
    h.update(repr(signature).encode())
    for const in code.co_consts:
        if isinstance(const, CodeType):
            _feed_code(h, const)
        else:
            h.update(_const_repr(const).encode())


def _const_repr(const: Any) -> str:
    """repr() with frozensets sorted (their order depends on string hashing, which varies)."""
    if isinstance(const, tuple):
        return "(" + ",".join(_const_repr(c) for c in const) + ")"
    if isinstance(const, frozenset):
        return "frozenset(" + ",".join(sorted(_const_repr(c) for c in const)) + ")"
    return f"{type(const).__name__}:{const!r}"


def global_names(code: CodeType) -> set[str]:
    """The names a code object (and the code nested in it) may look up as globals.

    ``co_names`` also holds attribute names; looking those up too only over-approximates.
    """
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, CodeType):
            names |= global_names(const)
    return names


def _qualname(obj: Any) -> str:
    return str(getattr(obj, "__qualname__", type(obj).__qualname__))


def _module_version(module: ModuleType, known: dict[str, str]) -> str:
    """A module's version: its package's ``__version__`` or distribution version, ``stdlib``
    for the standard library, else its file's size and modification time.  ``known`` caches
    the versions of packages (which do not change while a process runs)."""
    top = module.__name__.partition(".")[0]
    version = known.get(top)
    if version is not None:
        return version
    if top in sys.stdlib_module_names or top in sys.builtin_module_names:
        version = "stdlib"
    else:
        declared = getattr(sys.modules.get(top), "__version__", None)
        if isinstance(declared, str):
            version = declared
        else:
            import importlib.metadata  # slow to import (~40 ms): only when a module is an input

            try:
                version = importlib.metadata.version(top)
            except (importlib.metadata.PackageNotFoundError, ValueError):
                return _file_stamp(module)  # a local module: may change while the kernel runs
    known[top] = version
    return version


def _file_stamp(module: ModuleType) -> str:
    path = getattr(module, "__file__", None)
    if not path:
        return "unversioned"
    try:
        stat = os.stat(path)
    except OSError:
        return "unversioned"
    return f"file:{stat.st_size}:{stat.st_mtime_ns}"
