"""The multi feature's commands: ``%braid sessions`` and ``%braid session name|attach|reset``.

They exist in every kernel, so that a kernel not started in multi mode says how to get one;
``sessions`` is multi mode's :class:`~braid_kernel.features.multi.shell.sessions.SessionManager`
(built by the root, which routes the main shell's requests through it), None otherwise."""

from __future__ import annotations

from braid_kernel.features.base import Feature
from braid_kernel.features.multi.shell.commands import (
    SESSION_USAGE,
    SESSIONS_USAGE,
    SessionCommands,
    SessionControl,
)
from braid_kernel.shell.braid_magic import Subcommand


def build(sessions: SessionControl | None) -> Feature:
    commands = SessionCommands(sessions)
    return Feature(
        "multi",
        subcommands=(
            Subcommand(
                "sessions", commands.sessions, SESSIONS_USAGE, "list the sessions of a multi-mode kernel"
            ),
            Subcommand("session", commands.session, SESSION_USAGE, "name, attach to or reset this session"),
        ),
    )
