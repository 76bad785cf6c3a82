"""Startup configuration: one frozen record holding every choice a kernel process makes at launch.

:class:`KernelConfig` is built in exactly one place (the ``start`` command of :mod:`braid_kernel.app.cli`)
and handed to the composition root; nothing reads options from anywhere else.  The same record drives
the kernelspec writer, so the name a kernelspec is installed under, its display name and the options
on its ``argv`` always agree (see :func:`kernelspec_name` and :func:`display_name`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from braid_kernel.engine.modes import Backend, GuiLoop, Mode, SubshellNamespace
from braid_kernel.errors import ConfigError

__all__ = (
    "DEFAULT_CACHE_SIZE",
    "LOG_LEVELS",
    "KernelConfig",
    "SubshellNamespace",
    "display_name",
    "kernelspec_name",
    "parse_size",
)

#: Accepted values of :attr:`KernelConfig.log_level` (the standard :mod:`logging` level names).
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

#: Default of :attr:`KernelConfig.cache_size`: 2 GiB per notebook.
DEFAULT_CACHE_SIZE = 2 * 1024**3
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?)b?\s*", re.IGNORECASE)

# The empty flag set; a module constant because a call in a dataclass default reads as mutable.
_CHAINED = Mode(0)


@dataclass(frozen=True, slots=True)
class KernelConfig:
    """Everything a kernel process needs at startup; immutable and validated on construction.

    ``connection_file`` is ``None`` when the launcher gave none (the kernel then decides, for
    instance by writing its own).  ``modes`` is a flag set, ``Mode(0)`` meaning chained execution.
    ``session_idle_timeout`` is in seconds, ``None`` turns idle-session reaping off.
    ``log_level`` is one of :data:`LOG_LEVELS`.

    Raises :class:`ConfigError` for combinations that cannot work: uvloop on the trio backend or
    under a GUI loop, a non-positive idle timeout, an unknown log level.
    """

    connection_file: Path | None = None
    modes: Mode = _CHAINED
    backend: Backend = Backend.ASYNCIO
    uvloop: bool = False
    loop: GuiLoop | None = None
    subshell_namespace: SubshellNamespace = SubshellNamespace.SHARED
    session_idle_timeout: float | None = None
    log_level: str = "WARNING"
    debugger: bool = True
    capture_fd: bool = True  # route fd 1/2 output (C code, os.system) to cells
    cache_dir: Path | None = None  # cache mode's root directory (default: $BRAID_CACHE_DIR, user cache)
    cache_size: int = DEFAULT_CACHE_SIZE  # bytes one notebook's cache store may hold
    ipython_options: tuple[str, ...] = ()  # launcher's --Class.trait=value options (IPython config)
    react_lazy: bool = False  # react mode marks dependents stale instead of re-running them

    def __post_init__(self) -> None:
        if self.uvloop and self.backend is not Backend.ASYNCIO:
            raise ConfigError("uvloop only applies to the asyncio backend: drop --uvloop or use asyncio")
        if self.uvloop and self.loop is not None:
            raise ConfigError("uvloop cannot run as the guest of a GUI loop: drop --uvloop or --loop")
        if self.session_idle_timeout is not None and not self.session_idle_timeout > 0:
            raise ConfigError(
                f"session idle timeout must be a positive number of seconds, got {self.session_idle_timeout}"
            )
        if self.cache_size <= 0:
            raise ConfigError(f"the cache size must be a positive number of bytes, got {self.cache_size}")
        if self.react_lazy and Mode.REACT not in self.modes:
            raise ConfigError("--lazy applies to react mode: install react --lazy")
        if self.log_level not in LOG_LEVELS:
            raise ConfigError(f"unknown log level {self.log_level!r}: choose among {', '.join(LOG_LEVELS)}")

    @property
    def spec_name(self) -> str:
        """The kernelspec name these options are installed under by default."""
        return kernelspec_name(self.modes, self.backend, self.uvloop, self.loop, lazy=self.react_lazy)

    @property
    def spec_display_name(self) -> str:
        """The name frontends show for a kernelspec with these options, by default."""
        return display_name(self.modes, self.backend, self.uvloop, self.loop, lazy=self.react_lazy)


def _name_groups(
    modes: Mode, backend: Backend, uvloop: bool, loop: GuiLoop | None, lazy: bool = False
) -> list[list[str]]:
    """The non-default choices in canonical order: modes (sorted, then ``lazy``), backend,
    uvloop, GUI loop."""
    groups: list[list[str]] = []
    if modes.names:
        groups.append([*modes.names, *(["lazy"] if lazy else [])])
    if backend is Backend.TRIO:
        groups.append([backend.value])
    if uvloop:
        groups.append(["uvloop"])
    if loop is not None:
        groups.append([loop.value])
    return groups


def kernelspec_name(
    modes: Mode,
    backend: Backend = Backend.ASYNCIO,
    uvloop: bool = False,
    loop: GuiLoop | None = None,
    *,
    lazy: bool = False,
) -> str:
    """``"braid"`` followed by each non-default choice, dash-joined, in a fixed order.

    Modes come first, sorted by name, then ``trio`` for the trio backend, ``uvloop``, and the GUI
    loop; the result is independent of the order options were given in, so one set of choices has
    exactly one name: ``kernelspec_name(Mode.REACT | Mode.CONCURRENT) == "braid-concurrent-react"``.
    Lazy reactive mode follows the modes: ``"braid-react-lazy"``.
    """
    parts = ["braid"]
    for group in _name_groups(modes, backend, uvloop, loop, lazy):
        parts.extend(group)
    return "-".join(parts)


def display_name(
    modes: Mode,
    backend: Backend = Backend.ASYNCIO,
    uvloop: bool = False,
    loop: GuiLoop | None = None,
    *,
    lazy: bool = False,
) -> str:
    """The human name for the same choices as :func:`kernelspec_name`.

    ``"Python 3 (braid)"`` for the defaults; otherwise the choices after a colon, modes joined by
    commas and groups by semicolons: ``"Python 3 (braid: concurrent, react; trio; tk)"``.
    """
    groups = _name_groups(modes, backend, uvloop, loop, lazy)
    if not groups:
        return "Python 3 (braid)"
    return f"Python 3 (braid: {'; '.join(', '.join(group) for group in groups)})"


def parse_size(text: str) -> int:
    """A size in bytes from ``"500MB"``, ``"2G"``, ``"1.5GiB"`` or ``"1000000"`` (k, M, G, T are
    powers of 1000, with an ``i`` powers of 1024); :class:`ConfigError` for anything else."""
    match = _SIZE.fullmatch(text)
    if match is None:
        raise ConfigError(f"cannot read {text!r} as a size: write e.g. 500MB, 2GB or 1GiB")
    number, prefix, binary = match.groups()
    base = 1024 if binary else 1000
    size = int(float(number) * base ** " kmgt".index(prefix.lower() or " "))
    if size <= 0:
        raise ConfigError(f"the cache size must be positive, got {text!r}")
    return size
