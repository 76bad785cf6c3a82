"""Execution modes and backends: the choices a kernelspec or a magic makes.

Modes are a flag set (``Mode.CONCURRENT | Mode.REACT``), never substrings of a
name; the one place that turns text into modes is :func:`parse_modes`.
"""

from __future__ import annotations

import enum
from typing import Protocol

from braid_kernel.errors import ConfigError


class Mode(enum.Flag):
    """Execution flavours; combinable.  ``Mode(0)`` is the default: chained."""

    CONCURRENT = enum.auto()
    REACT = enum.auto()
    CACHE = enum.auto()
    MULTI = enum.auto()

    @property
    def names(self) -> tuple[str, ...]:
        """Mode names as users write them, sorted alphabetically."""
        return tuple(sorted(_NAME_OF[m] for m in Mode if m in self))


_NAME_OF = {
    Mode.CONCURRENT: "concurrent",
    Mode.REACT: "react",
    Mode.CACHE: "cache",
    Mode.MULTI: "multi",
}
_MODE_OF = {name: mode for mode, name in _NAME_OF.items()}


def parse_modes(text: str) -> Mode:
    """Parse a dash-joined list of modes in any order (``"react-concurrent"``).

    The empty string means the default (chained) mode.  Unknown names raise
    :class:`ConfigError` naming the accepted ones.
    """
    mode = Mode(0)
    for part in filter(None, text.strip().lower().split("-")):
        if part not in _MODE_OF:
            known = ", ".join(sorted(_MODE_OF))
            raise ConfigError(f"unknown mode {part!r}: choose among {known} (dash-joined)")
        mode |= _MODE_OF[part]
    return mode


def format_modes(mode: Mode) -> str:
    """The inverse of :func:`parse_modes`: sorted names joined by dashes."""
    return "-".join(mode.names)


class SubshellNamespace(enum.Enum):
    """Whether JEP 91 subshells share the main shell's user namespace or each get their own."""

    SHARED = "shared"
    ISOLATED = "isolated"


class Backend(enum.Enum):
    """The anyio backend the kernel's event loop runs on."""

    ASYNCIO = "asyncio"
    TRIO = "trio"


class GuiLoop(enum.Enum):
    """A GUI event loop hosting the async backend as a guest (``None`` in the config: no GUI host)."""

    TK = "tk"
    QT = "qt"


class WakeupHook(Protocol):
    """Points the signal wake-up fd at a loop's wake-up socket while installed, for a loop that
    hosts the kernel's (:class:`braid_kernel.process_hooks.WakeupFd`)."""

    def install(self) -> None: ...

    def uninstall(self) -> None: ...
