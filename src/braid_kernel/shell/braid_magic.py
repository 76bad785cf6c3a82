"""The ``%braid`` magic: one entry point for the kernel's own commands.

``%braid SUBCOMMAND ARGS...`` (line) and ``%%braid SUBCOMMAND ARGS...`` (cell)
dispatch to subcommands that the features register on the shell's
:class:`BraidCommands` (``mode``, ``cancel``, ``cache``, ``react``, ...).  A
subcommand gets its arguments already split (shell-like quoting) and, for the
cell form, the cell body.  ``%braid`` alone or ``%braid help`` lists them.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from IPython.core.error import UsageError

#: ``handler(args, cell)``: ``cell`` is None for the line magic.
SubcommandHandler = Callable[[list[str], str | None], Any]


@dataclass(frozen=True, slots=True)
class Subcommand:
    name: str
    handler: SubcommandHandler
    usage: str  # e.g. "mode concurrent|chained"
    summary: str


class BraidCommands:
    """The registry behind ``%braid``; callable as an IPython line/cell magic."""

    def __init__(self) -> None:
        self._subcommands: dict[str, Subcommand] = {}

    def add(self, name: str, handler: SubcommandHandler, usage: str, summary: str) -> None:
        """Register (or replace) the subcommand ``name``."""
        self._subcommands[name] = Subcommand(name, handler, usage, summary)

    def names(self) -> list[str]:
        return sorted(self._subcommands)

    def help_text(self) -> str:
        lines = ["Usage: %braid SUBCOMMAND [ARGS...]", ""]
        for name in self.names():
            sub = self._subcommands[name]
            lines.append(f"  %braid {sub.usage:<34} {sub.summary}")
        return "\n".join(lines)

    def __call__(self, line: str, cell: str | None = None) -> Any:
        try:
            args = shlex.split(line)
        except ValueError as exc:
            raise UsageError(f"%braid: {exc}") from None
        if not args or args[0] in ("help", "-h", "--help"):
            print(self.help_text())
            return None
        sub = self._subcommands.get(args[0])
        if sub is None:
            known = ", ".join(self.names()) or "none"
            raise UsageError(f"%braid: unknown subcommand {args[0]!r} (known: {known}; see %braid help)")
        return sub.handler(args[1:], cell)


def usage_error(sub_usage: str, problem: str) -> UsageError:
    """The error a subcommand raises for bad arguments."""
    return UsageError(f"%braid {sub_usage}: {problem}")
