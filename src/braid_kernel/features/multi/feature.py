"""The multi feature: in multi mode, one :class:`~braid_kernel.features.multi.shell.sessions.SessionManager`
routes the main shell's session requests (each client's in a session of its own), comms belong
to the sessions (its comm scope), and the session commands act on the session table.

The commands (``%braid sessions``, ``%braid session name|attach|reset``) exist in every kernel,
so that a kernel not started in multi mode says how to get one.  The sessions' module is imported
only in multi mode (a mode fixed at startup: startup time)."""

from __future__ import annotations

from braid_kernel.features.base import Feature, SessionKit, Sessions
from braid_kernel.features.multi.shell.commands import (
    SESSION_USAGE,
    SESSIONS_USAGE,
    SessionCommands,
    SessionControl,
)
from braid_kernel.shell.braid_magic import Subcommand


def build(*, multi: bool, idle_timeout: float | None) -> Feature:
    """``multi``: multi mode (else only the commands, explaining it); ``idle_timeout``: seconds
    after which an idle session is freed (None: never)."""
    if not multi:
        return Feature("multi", subcommands=_commands(None))
    from braid_kernel.features.multi.shell.sessions import (
        SessionComms,
        SessionDirectory,
        SessionManager,
        new_table,
    )

    table = new_table()

    def sessions(kit: SessionKit) -> Sessions:
        return SessionManager(table, idle_timeout, kit)

    return Feature(
        "multi",
        subcommands=_commands(SessionDirectory(table)),
        comm_scope=SessionComms(table),
        sessions=sessions,
    )


def _commands(control: SessionControl | None) -> tuple[Subcommand, ...]:
    commands = SessionCommands(control)
    return (
        Subcommand("sessions", commands.sessions, SESSIONS_USAGE, "list the sessions of a multi-mode kernel"),
        Subcommand("session", commands.session, SESSION_USAGE, "name, attach to or reset this session"),
    )
