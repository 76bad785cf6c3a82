"""Stable file names for cells.

Every cell is compiled under a file name derived from its code, so that
tracebacks show its source (through :mod:`linecache`) and so that a debugger
frontend can compute the same name before the cell runs and set breakpoints
in it.  JupyterLab computes ``prefix + murmur2(code, seed) + suffix`` from the
``debugInfo`` reply, so the hash is MurmurHash2 (32-bit) with a seed the
kernel announces.

Cell files go to a private directory, named as ipykernel names its own
(``ipykernel_<pid>``): ``braid_<pid>`` in the system temp dir.  The name is fixed when the
kernel starts (the debugger announces it as ``tmpFilePrefix``), so the directory is made
then, with mode 0700 and ``os.mkdir`` (which never follows a symlink and fails on any name
already taken).  If the name is taken by anything but a private directory of this user (a
directory planted by another user, a symlink, a file), the kernel uses a fresh, unguessable
``braid_<pid>_<random>`` instead, made on the first dump.  Every dump checks again that the
directory is a real directory of this user that no one else can enter, and writes a new file
renamed into place, so that a symlink planted at a cell's name is replaced, never followed.
(``/tmp/braid_<pid>`` made with ``exist_ok`` and used as found let another local user read
every dumped cell, or make a dump overwrite any file of the kernel's user.)
"""

from __future__ import annotations

import contextlib
import linecache
import os
import secrets
import stat
import tempfile
import weakref
from dataclasses import dataclass, field
from pathlib import Path

HASH_METHOD = "Murmur2"
HASH_SEED = 0xB2A1D5EE

_M = 0x5BD1E995
_MASK = 0xFFFFFFFF


def murmur2(data: bytes, seed: int) -> int:
    """MurmurHash2, 32-bit, little-endian blocks (Austin Appleby's algorithm)."""
    length = len(data)
    h = (seed ^ length) & _MASK
    full = length - length % 4
    for i in range(0, full, 4):
        k = int.from_bytes(data[i : i + 4], "little")
        k = (k * _M) & _MASK
        k ^= k >> 24
        k = (k * _M) & _MASK
        h = ((h * _M) & _MASK) ^ k
    tail = data[full:]
    if len(tail) >= 3:
        h ^= tail[2] << 16
    if len(tail) >= 2:
        h ^= tail[1] << 8
    if tail:
        h ^= tail[0]
        h = (h * _M) & _MASK
    h ^= h >> 13
    h = (h * _M) & _MASK
    h ^= h >> 15
    return h


class UnsafeCellDirectory(OSError):
    """The cell directory exists but is not private to this user; nothing is written there."""


def default_cell_dir() -> Path:
    """The directory for this process's cell files (see the module docstring)."""
    return choose_cell_dir(Path(tempfile.gettempdir()), os.getpid())


def choose_cell_dir(parent: Path, pid: int) -> Path:
    """``parent/braid_<pid>``, made now with mode 0700, or already a private directory of this
    user (an earlier kernel of this process); otherwise (the name taken by something else, or
    ``parent`` not writable) a fresh ``parent/braid_<pid>_<random>``, not yet created."""
    usual = parent / f"braid_{pid}"
    try:
        os.mkdir(usual, 0o700)
    except FileExistsError:
        if _is_private_directory(usual):
            return usual
    except OSError:
        pass
    else:
        return usual
    return parent / f"braid_{pid}_{secrets.token_hex(8)}"


def _is_private_directory(path: Path) -> bool:
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and _mine(info.st_uid) and not info.st_mode & 0o077


def _mine(uid: int) -> bool:
    """Whether ``uid`` is this process's user (always, under Pyodide: one user, the page's)."""
    geteuid = getattr(os, "geteuid", None)
    return geteuid is None or uid == geteuid()


def _remove_if_empty(directory: Path) -> None:
    with contextlib.suppress(OSError):  # not empty (cells were dumped), or already gone
        os.rmdir(directory)


def ensure_private_directory(directory: Path) -> None:
    """Create ``directory`` with mode 0700, or check that the existing one is private.

    Raises :class:`UnsafeCellDirectory` when the path is a symlink, not a directory, owned by
    another user or open to group or others (its files could be read or replaced).
    """
    try:
        os.mkdir(directory, 0o700)
    except FileExistsError:
        pass
    else:
        return
    info = os.lstat(directory)
    if not stat.S_ISDIR(info.st_mode):
        raise UnsafeCellDirectory(f"cell directory {directory} is not a directory (a symlink?): not used")
    if not _mine(info.st_uid) or info.st_mode & 0o077:
        raise UnsafeCellDirectory(
            f"cell directory {directory} is not private (owner uid {info.st_uid}, "
            f"mode {stat.S_IMODE(info.st_mode):o}): not used"
        )


def write_private_file(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` (mode 0600) through a new file renamed into place: whatever was
    at ``path`` (a symlink included) is replaced, never written through."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


@dataclass(frozen=True, slots=True, weakref_slot=True)
class CellFiles:
    """Names cells and registers their source for tracebacks and debuggers.

    The directory is made when the kernel starts (see the module docstring); it is removed again
    when the kernel ends (or this object goes) if no cell was dumped there, so kernels that never
    debug leave nothing behind.
    """

    directory: Path = field(default_factory=default_cell_dir)
    suffix: str = ".py"
    seed: int = HASH_SEED
    # One name for every cell instead (ipykernel's IPYKERNEL_CELL_NAME, e.g. ``<IPY-INPUT>``):
    # tracebacks then show the few lines around the error that ipykernel shows; the debugger
    # cannot tell cells apart, as in ipykernel.
    shared_name: str | None = None

    def __post_init__(self) -> None:
        if self.directory.name.startswith("braid_"):  # made by default_cell_dir, not given
            weakref.finalize(self, _remove_if_empty, self.directory)

    @property
    def prefix(self) -> str:
        """What JupyterLab's debugger calls ``tmpFilePrefix``."""
        return str(self.directory) + os.sep

    def filename(self, code: str) -> str:
        """The file name a cell with this code is compiled under."""
        if self.shared_name is not None:
            return self.shared_name
        return f"{self.prefix}{murmur2(code.encode('utf-8'), self.seed)}{self.suffix}"

    def is_cell(self, filename: str) -> bool:
        """True for file names this namer produced (any cell of this process)."""
        if self.shared_name is not None and filename == self.shared_name:
            return True
        return filename.startswith(self.prefix) and filename.endswith(self.suffix)

    def register(self, code: str) -> str:
        """Put the cell's source into :mod:`linecache`; return its file name."""
        name = self.filename(code)
        lines = code.splitlines(keepends=True)
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        # mtime None keeps linecache.checkcache from dropping the entry.
        linecache.cache[name] = (len(code), None, lines, name)
        return name

    def dump(self, code: str) -> str:
        """Write the cell to disk (debuggers need a real file); return its name.

        Raises :class:`UnsafeCellDirectory` (an ``OSError``) when the directory is not private.
        """
        name = self.register(code)
        ensure_private_directory(self.directory)
        write_private_file(Path(name), code)
        return name
