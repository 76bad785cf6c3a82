"""``%braid sessions`` and ``%braid session name|attach|reset``: multi mode from a cell.

The commands act on the session of the calling cell through a :class:`SessionControl` (the
kernel's session manager, :class:`braid_kernel.features.multi.shell.sessions.SessionManager`).  In a kernel
not started in multi mode they say how to get one.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Protocol

from braid_kernel.shell.braid_magic import usage_error
from braid_kernel.units import format_size

if TYPE_CHECKING:
    from braid_kernel.features.multi.engine import SessionRow

SESSIONS_USAGE = "sessions"
SESSION_USAGE = "session name NAME|attach NAME|reset"
_NAME = re.compile(r"[\w.-]{1,64}")
_NOT_MULTI = "only in multi mode: start a braid-multi kernel (braid-kernel install multi)"


class SessionControl(Protocol):
    """What the commands need from the kernel's sessions; each acts on the calling session.
    ``name_current`` and ``attach_current`` raise ValueError for a taken or unknown name."""

    def rows(self) -> list[SessionRow]: ...

    def name_current(self, name: str) -> str: ...

    def attach_current(self, name: str) -> str: ...

    def reset_current(self) -> str: ...


def sessions_table(rows: list[SessionRow]) -> str:
    """The text ``%braid sessions`` prints: one line per session, ``*`` marking the caller's."""
    header = ("session", "name", "clients", "cells", "running", "idle", "main thread", "memory")
    lines = [header]
    for row in rows:
        held = f"{row.held:.1f}s" + (" (now)" if row.holding_now else "")
        running = ",".join(map(str, row.running)) or "-"
        lines.append(
            (
                row.id + ("*" if row.caller else ""),
                row.name or "-",
                str(row.clients),
                str(row.cells_run),
                running,
                f"{row.idle:.0f}s",
                held,
                format_size(row.memory),
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    text = ["  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip() for line in lines]
    text.append(
        f"{len(rows)} session(s); * = this one; 'main thread' = time its cells held the main thread "
        "(while one does, every session waits)"
    )
    return "\n".join(text)


class SessionCommands:
    """The ``sessions`` and ``session`` subcommands over ``control`` (None: not multi mode)."""

    def __init__(self, control: SessionControl | None) -> None:
        self.control = control

    def _control(self, usage: str) -> SessionControl:
        if self.control is None:
            raise usage_error(usage, _NOT_MULTI)
        return self.control

    def sessions(self, args: list[str], cell: str | None) -> None:
        del cell
        if args:
            raise usage_error(SESSIONS_USAGE, f"takes no arguments, got {' '.join(args)!r}")
        print(sessions_table(self._control(SESSIONS_USAGE).rows()))

    def session(self, args: list[str], cell: str | None) -> None:
        del cell
        control = self._control(SESSION_USAGE)
        action = args[0] if args else ""
        if action == "reset" and len(args) == 1:
            print(control.reset_current())
        elif action in ("name", "attach") and len(args) == 2:
            name = args[1]
            if not _NAME.fullmatch(name):
                raise usage_error(
                    SESSION_USAGE, f"a session name is 1-64 letters, digits, '_', '.' or '-', got {name!r}"
                )
            try:
                print(control.name_current(name) if action == "name" else control.attach_current(name))
            except ValueError as exc:  # a taken or unknown name
                raise usage_error(SESSION_USAGE, str(exc)) from None
        else:
            raise usage_error(
                SESSION_USAGE, f"expected name NAME, attach NAME or reset, got {' '.join(args)!r}"
            )
