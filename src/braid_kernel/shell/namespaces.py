"""Isolated user namespaces for subshells (JEP 91 ``{"namespace": "isolated"}``).

The process has one IPython ``InteractiveShell``; its main namespace belongs to
the main shell.  A subshell created with an isolated namespace gets an
:class:`IsolatedNamespace`: its own variables, ``In``/``Out``/``_``/``_iN``,
hidden names (for ``%who``), completer and input history.

:data:`active_namespace` says which namespace the running code belongs to.  A
subshell sets it once for its event loop, so every request task, cell, and
thread a cell starts inherits it (it is a ``ContextVar``), while the main
thread never sets it.  :class:`~braid_kernel.shell.ipshell.ZMQInteractiveShell` reads it
in ``user_ns``, ``user_global_ns``, ``user_ns_hidden`` and ``Completer``, so
IPython's own code — magics such as ``%who`` and ``%timeit``, inspection,
``user_expressions``, the display hook — works on the isolated namespace
without knowing about it, and the main shell's ``shell.user_ns`` stays the
dict IPython created.

``%reset`` empties the isolated namespace and its history only.  Known
limits: IPython's history manager (``%history``, ``%rerun``, ``%recall``,
``%reset in``) and ``%run``'s module handling stay the main shell's;
``sys.modules['__main__']`` is the main namespace, so classes defined in an
isolated subshell are not picklable by reference.
"""

from __future__ import annotations

import builtins
import fnmatch
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Protocol

from braid_kernel.wire.message import JsonDict

if TYPE_CHECKING:
    from IPython.core.completer import IPCompleter

HistoryEntry = tuple[int, int, Any]

active_namespace: ContextVar[IsolatedNamespace | None] = ContextVar("braid_active_namespace", default=None)


class KernelShell(Protocol):
    """What an isolated namespace takes from the kernel's shell
    (:class:`~braid_kernel.shell.ipshell.ZMQInteractiveShell`, which reads
    :data:`active_namespace`: this module does not import it back)."""

    history_manager: Any
    exiter: Any

    def get_ipython(self) -> Any: ...

    @property
    def main_completer(self) -> IPCompleter: ...


class IsolatedNamespace:
    """One isolated subshell's user namespace and input history.

    ``session`` is the history session number its entries carry (the
    kernel's current IPython session).  Not thread-safe by itself: it is used
    from its subshell's thread (and threads its cells start).
    """

    def __init__(self, shell: KernelShell, session: int = 0) -> None:
        self.shell = shell
        self.session = session
        self.inputs: list[str] = [""]  # In / _ih: index = execution count
        self.outputs: dict[int, Any] = {}  # Out / _oh
        self.output_reprs: dict[int, str] = {}
        self.entries: list[tuple[int, str, str]] = []  # (count, code, raw) in order
        self.hidden: dict[str, Any] = {}
        self._kernel_names: dict[str, Any] = {}  # what push() added: %reset puts it back
        self.user_ns: dict[str, Any] = self._seed()
        self._completer: IPCompleter | None = None

    def _seed(self) -> dict[str, Any]:
        """What IPython puts in a fresh namespace, with this namespace's histories."""
        shell = self.shell
        seeded: dict[str, Any] = {
            "_ih": self.inputs,
            "_oh": self.outputs,
            "_dh": shell.history_manager.dir_hist if shell.history_manager is not None else [],
            "In": self.inputs,
            "Out": self.outputs,
            "get_ipython": shell.get_ipython,
            "exit": shell.exiter,
            "quit": shell.exiter,
            "_": "",
            "__": "",
            "___": "",
            "_i": "",
            "_ii": "",
            "_iii": "",
            "_i00": "",
        }
        self.hidden.update(seeded)
        return {
            "__name__": "__main__",
            "__doc__": None,
            "__builtin__": builtins,
            "__builtins__": builtins,
            **seeded,
        }

    def reset(self) -> None:
        """Forget every variable and the history; keep the kernel's names."""
        self.user_ns.clear()
        self.hidden.clear()
        self.inputs[:] = [""]
        self.outputs.clear()
        self.output_reprs.clear()
        self.entries.clear()
        self.user_ns.update(self._seed())
        self.push(self._kernel_names)

    def push(self, names: dict[str, Any]) -> None:
        """Add kernel names (the features' ``__task__``, ``run_on``, ...: hidden from ``%who``,
        put back by :meth:`reset`)."""
        self._kernel_names.update(names)
        self.user_ns.update(names)
        self.hidden.update(names)

    @contextmanager
    def activated(self) -> Iterator[None]:
        """Make this the namespace of the code run in the current context."""
        token = active_namespace.set(self)
        try:
            yield
        finally:
            active_namespace.reset(token)

    def completer(self) -> IPCompleter:
        """An IPython completer over this namespace (made on first use)."""
        if self._completer is None:
            from IPython.core.completer import IPCompleter

            main = self.shell.main_completer
            completer = IPCompleter(
                shell=self.shell, namespace=self.user_ns, global_namespace=self.user_ns, parent=self.shell
            )
            completer.custom_completers = main.custom_completers
            self._completer = completer
        return self._completer

    # ------------------------------------------------------------ history
    def record_input(self, execution_count: int, code: str, raw: str) -> None:
        """Remember a cell's input and set ``In``, ``_i``, ``_ii``, ``_iii``, ``_iN``."""
        self.entries.append((execution_count, code, raw))
        while len(self.inputs) <= execution_count:
            self.inputs.append("")
        self.inputs[execution_count] = code
        # As IPython does: _i is the previous cell, _ii and _iii the ones before.
        ns = self.user_ns
        names = {"_iii": ns.get("_ii", ""), "_ii": ns.get("_i", ""), "_i": ns.get("_i00", "")}
        self.push({**names, "_i00": raw, f"_i{execution_count}": raw})

    def record_output(self, execution_count: int, text: str) -> None:
        self.output_reprs[execution_count] = text

    def history(self, kind: str, request: JsonDict) -> list[HistoryEntry]:
        """Answer a history_request (``tail``, ``range``, ``search``) from this namespace."""
        raw = bool(request.get("raw", True))
        output = bool(request.get("output", False))
        rows = self.entries
        if kind == "tail":
            n = int(request.get("n") or 10)
            rows = rows[-n:] if n > 0 else []
        elif kind == "range":
            session = int(request.get("session") or 0)
            if session not in (0, self.session):
                return []
            start = int(request.get("start") or 1)
            stop = request.get("stop")
            rows = [r for r in rows if r[0] >= start and (stop is None or r[0] < int(stop))]
        elif kind == "search":
            pattern = str(request.get("pattern") or "*")
            rows = [r for r in rows if fnmatch.fnmatchcase(r[2] if raw else r[1], pattern)]
            if request.get("unique"):
                rows = _unique_last(rows, 2 if raw else 1)
            limit = request.get("n")
            if limit:
                rows = rows[-int(limit) :]
        else:
            raise ValueError(f"unknown hist_access_type {kind!r}: use tail, range or search")
        return [self._entry(row, raw, output) for row in rows]

    def _entry(self, row: tuple[int, str, str], raw: bool, output: bool) -> HistoryEntry:
        count, code, raw_code = row
        source = raw_code if raw else code
        if output:
            return (self.session, count, (source, self.output_reprs.get(count)))
        return (self.session, count, source)


def _unique_last(rows: list[tuple[int, str, str]], column: int) -> list[tuple[int, str, str]]:
    """Keep the last occurrence of each source text, in order."""
    seen: set[str] = set()
    kept: list[tuple[int, str, str]] = []
    for row in reversed(rows):
        text = row[2] if column == 2 else row[1]
        if text not in seen:
            seen.add(text)
            kept.append(row)
    return kept[::-1]
