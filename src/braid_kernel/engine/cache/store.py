"""The on-disk store: one file per cached cell, crash-safe, bounded, shared safely.

Layout: a directory holding ``<key>.entry`` files.  Each file is a header — magic, payload length,
CRC-32 of the payload — followed by the payload (a pickled entry).

* **Crash-safe.**  An entry is written to a temporary file in the same directory and moved into
  place with ``os.replace``, which is atomic: a reader sees the old file, the new one or none,
  never half of one, even if the writer is killed mid-write (``kill -9``).  A leftover temporary
  file is removed once it is an hour old.  Power loss is not covered (no fsync): a torn file then
  fails its checksum, which is a miss.
* **Corruption-tolerant.**  A file that is truncated, has the wrong magic or fails its checksum is
  a miss: it is logged as a warning and removed.
* **Bounded, least recently used first.**  A hit refreshes the file's modification time; before a
  write would take the store above its size limit, the least recently used entries are removed.
* **Shared.**  Two kernels may use one store: files only ever appear whole or disappear, and each
  kernel treats a file vanishing under it as a miss.
* **Off the reply's path.**  Creating a file costs around a millisecond on some file systems, so
  :meth:`CacheStore.put` hands the write to one writer thread (``braid-cache-writer``), which
  writes pending entries in batches 50 ms after the first arrives (cells run back to back do not
  wait for it), and keeps the payload in memory until it is on disk; :meth:`CacheStore.get` sees
  it at once.  A write
  that fails is logged (and shown by ``%braid cache info``); pending writes finish before the
  process exits.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import re
import secrets
import threading
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

__all__ = ("CacheStore", "StoreStats", "human_size")

log = logging.getLogger("braid_kernel.cache")

_MAGIC = b"BRAIDC1\n"
_CHECKSUM_SIZE = 4
_HEADER_SIZE = len(_MAGIC) + 8 + _CHECKSUM_SIZE
_SUFFIX = ".entry"
_KEY = re.compile(r"[0-9a-f]{16,128}")
_STALE_TEMP_SECONDS = 3600
_BATCH_DELAY = 0.05  # the writer waits this long after waking, to write a burst of entries at once
_RESCAN_SECONDS = 30.0  # re-read the store's size this often while writing (other kernels write too)
_TAG = "Signature: 8a477f597d28d172789f06886806bc55\n# braid-kernel's cell cache (safe to delete).\n"


@dataclass(frozen=True, slots=True)
class StoreStats:
    """How full a store is."""

    entries: int
    size: int  # bytes


def _checksum(payload: bytes | memoryview) -> bytes:
    # CRC-32 finds truncation and torn writes at ~4 GB/s; this is not about tampering.
    return zlib.crc32(payload).to_bytes(_CHECKSUM_SIZE, "little")


class CacheStore:
    """Entries by key in ``directory`` (created on first write), at most ``limit`` bytes."""

    def __init__(self, directory: Path, limit: int) -> None:
        self.directory = directory
        self.limit = limit
        self.write_error: str | None = None  # the last write that failed, if any
        self._estimate: int | None = None  # bytes in the store, as last scanned plus own writes
        self._scanned_at = -_RESCAN_SECONDS
        self._created = False
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)  # pending entries added or written
        self._pending: dict[str, bytes] = {}  # queued for the writer, readable meanwhile
        self._writer: threading.Thread | None = None
        self._closed = False
        self._hurry = False  # someone waits in flush(): write without the batching delay

    def _path(self, key: str) -> str:
        if not _KEY.fullmatch(key):
            raise ValueError(f"not a cache key: {key!r}")
        return os.path.join(self.directory, key + _SUFFIX)  # str paths: pathlib costs ~10 us

    # ------------------------------------------------------------ reading
    def get(self, key: str) -> bytes | memoryview | None:
        """The payload stored under ``key``, or None (absent or corrupt)."""
        path = self._path(key)
        with self._lock:
            pending = self._pending.get(key)
        if pending is not None:
            return pending
        try:
            with open(path, "rb") as file:
                data = file.read()
        except (FileNotFoundError, IsADirectoryError):
            return None
        except OSError as exc:
            log.warning("cannot read cache entry %s: %s", path, exc)
            return None
        payload = self._verify(data)
        if payload is None:
            self.discard(key, "corrupt (truncated or altered)")
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # most recently used
        return payload

    @staticmethod
    def _verify(data: bytes) -> memoryview | None:
        if len(data) < _HEADER_SIZE or not data.startswith(_MAGIC):
            return None
        length = int.from_bytes(data[len(_MAGIC) : len(_MAGIC) + 8], "little")
        checksum = data[len(_MAGIC) + 8 : _HEADER_SIZE]
        payload = memoryview(data)[_HEADER_SIZE:]  # no copy of a large payload
        if len(payload) != length or _checksum(payload) != checksum:
            return None
        return payload

    def discard(self, key: str, why: str) -> None:
        """Remove a bad entry, with a warning in the kernel log."""
        path = self._path(key)
        log.warning("cache entry %s is %s: ignored and removed", path, why)
        with contextlib.suppress(OSError):
            os.unlink(path)

    # ------------------------------------------------------------ writing
    def put(self, key: str, payload: bytes) -> None:
        """Store ``payload`` under ``key`` (written by the writer thread), evicting old entries to
        stay within the limit.  Raises ``ValueError`` if the entry alone exceeds the limit."""
        size = _HEADER_SIZE + len(payload)
        if size > self.limit:
            raise ValueError(
                f"the entry takes {human_size(size)}, more than the cache limit of {human_size(self.limit)}"
            )
        self._path(key)  # a bad key fails here, not in the writer
        with self._lock:
            self._pending[key] = payload
            if self._writer is None or not self._writer.is_alive():
                self._closed = False
                self._writer = threading.Thread(
                    target=self._write_loop, name="braid-cache-writer", daemon=True
                )
                self._writer.start()
                atexit.register(self.close)  # daemon thread: pending entries are written at exit
            self._changed.notify_all()

    def _write_loop(self) -> None:
        """The writer thread: write pending entries in batches until closed."""
        while True:
            with self._lock:
                while not self._pending and not self._closed:
                    self._changed.wait()
                if not self._pending:
                    return
                # Cells run back to back: let them finish, then write their entries together.
                self._changed.wait_for(lambda: self._hurry or self._closed, timeout=_BATCH_DELAY)
                self._hurry = False
                batch = list(self._pending.items())
            for key, payload in batch:
                self._write(key, payload)
            with self._lock:
                for key, payload in batch:
                    if self._pending.get(key) is payload:
                        del self._pending[key]
                self._changed.notify_all()

    def _write(self, key: str, payload: bytes) -> None:
        try:
            self.write_now(key, payload)
        except OSError as exc:
            self.write_error = f"{self.directory}: {exc}"
            log.warning("cannot write the cache entry %s in %s: %s", key, self.directory, exc)
        except Exception:
            log.exception("cache writer failed")

    def flush(self) -> None:
        """Wait until every entry handed to :meth:`put` so far is on disk (or failed)."""
        with self._lock:
            while self._pending and self._writer is not None and self._writer.is_alive():
                self._hurry = True
                self._changed.notify_all()
                self._changed.wait()

    def close(self) -> None:
        """Write what is pending and stop the writer thread."""
        with self._lock:
            self._closed = True
            self._changed.notify_all()
            writer = self._writer
        if writer is not None and writer is not threading.current_thread():
            writer.join()

    def write_now(self, key: str, payload: bytes) -> None:
        """Write one entry on the calling thread; ``OSError`` if it cannot be written (the store
        is then unchanged)."""
        size = _HEADER_SIZE + len(payload)
        self._make_room(size)
        header = _MAGIC + len(payload).to_bytes(8, "little") + _checksum(payload)
        final = self._path(key)
        temp = os.path.join(self.directory, f".{key}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        try:
            try:
                file = open(temp, "wb")  # noqa: SIM115 - closed by the with below
            except FileNotFoundError:  # the directory was removed since: make it again
                self._created = False
                self._make_room(size)
                file = open(temp, "wb")  # noqa: SIM115
            with file:
                file.write(header)
                file.write(payload)
            os.replace(temp, final)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
        self._estimate = (self._estimate or 0) + size

    def _make_room(self, size: int) -> None:
        if not self._created:
            self.directory.mkdir(parents=True, exist_ok=True)
            _tag(self.directory.parent)
            self._created = True
        stale = time.monotonic() - self._scanned_at > _RESCAN_SECONDS
        if self._estimate is None or stale or self._estimate + size > self.limit:
            self._evict(self.limit - size)

    def _evict(self, target: int) -> None:
        """Remove least recently used entries until at most ``target`` bytes remain."""
        files = self._scan()
        self._scanned_at = time.monotonic()
        total = sum(size for _, size, _ in files)
        for _, size, path in sorted(files):
            if total <= target:
                break
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            total -= size
        self._estimate = total

    def _scan(self) -> list[tuple[float, int, Path]]:
        """``(mtime, size, path)`` of every entry; removes stale temporary files."""
        found: list[tuple[float, int, Path]] = []
        now = time.time()
        try:
            entries = list(os.scandir(self.directory))
        except FileNotFoundError:
            return found
        for item in entries:
            try:
                stat = item.stat()
            except FileNotFoundError:
                continue
            if item.name.endswith(_SUFFIX):
                found.append((stat.st_mtime, stat.st_size, Path(item.path)))
            elif item.name.endswith(".tmp") and now - stat.st_mtime > _STALE_TEMP_SECONDS:
                with contextlib.suppress(OSError):
                    os.unlink(item.path)
        return found

    # ------------------------------------------------------------ housekeeping
    def stats(self) -> StoreStats:
        self.flush()
        files = self._scan()
        return StoreStats(len(files), sum(size for _, size, _ in files))

    def clear(self) -> int:
        """Remove every entry; returns how many were removed."""
        self.flush()
        removed = 0
        for _, _, path in self._scan():
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed += 1
        self._estimate = 0
        return removed


def _tag(root: Path) -> None:
    """Mark the cache root for backup tools (https://bford.info/cachedir/)."""
    with contextlib.suppress(OSError):
        tag = root / "CACHEDIR.TAG"
        if not tag.exists():
            tag.write_text(_TAG, encoding="ascii")


def human_size(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} GB"  # pragma: no cover - the loop always returns
