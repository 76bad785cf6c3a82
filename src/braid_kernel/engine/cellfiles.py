"""Stable file names for cells.

Every cell is compiled under a file name derived from its code, so that
tracebacks show its source (through :mod:`linecache`) and so that a debugger
frontend can compute the same name before the cell runs and set breakpoints
in it.  JupyterLab computes ``prefix + murmur2(code, seed) + suffix`` from the
``debugInfo`` reply, so the hash is MurmurHash2 (32-bit) with a seed the
kernel announces.
"""

from __future__ import annotations

import linecache
import os
import tempfile
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


def default_cell_dir() -> Path:
    """A per-process directory for cell files (nothing is written until dumped)."""
    return Path(tempfile.gettempdir()) / f"braid_{os.getpid()}"


@dataclass(frozen=True, slots=True)
class CellFiles:
    """Names cells and registers their source for tracebacks and debuggers."""

    directory: Path = field(default_factory=default_cell_dir)
    suffix: str = ".py"
    seed: int = HASH_SEED
    # One name for every cell instead (ipykernel's IPYKERNEL_CELL_NAME, e.g. ``<IPY-INPUT>``):
    # tracebacks then show the few lines around the error that ipykernel shows; the debugger
    # cannot tell cells apart, as in ipykernel.
    shared_name: str | None = None

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
        """Write the cell to disk (debuggers need a real file); return its name."""
        name = self.register(code)
        path = Path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(code, encoding="utf-8")
        return name
