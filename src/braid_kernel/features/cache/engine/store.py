"""The on-disk store: one file per cached cell, crash-safe, bounded, shared safely.

Layout: a directory holding ``<key>.entry`` files.  Each file is a header — magic, payload length,
HMAC-SHA256 of the key and payload under the user's secret (:mod:`.secret`) — followed by the
payload (a pickled entry).

* **Authenticated and private.**  Payloads are pickles, so the store is trusted like code: an
  entry whose tag is wrong (planted, altered, written under another secret) is a miss, logged and
  removed, before anything is unpickled.  The directory is made with mode 0700 and files with
  0600, never through a symlink: the store directory is opened once with ``O_NOFOLLOW`` and every
  entry is read, written, renamed and removed relative to that descriptor, new files with
  ``O_EXCL``.  A store directory that is a symlink, belongs to another user or is writable by group
  or others is refused with a warning: the cache is then not used and cells simply run.

* **Crash-safe.**  An entry is written to a temporary file in the same directory and moved into
  place with ``os.replace``, which is atomic: a reader sees the old file, the new one or none,
  never half of one, even if the writer is killed mid-write (``kill -9``).  A leftover temporary
  file is removed once it is an hour old.  Power loss is not covered (no fsync): a torn file then
  fails its checksum, which is a miss.
* **Corruption-tolerant.**  A file that is truncated, has the wrong magic or fails its tag check is
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
import hashlib
import hmac
import logging
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from braid_kernel.features.cache.engine.secret import UntrustedCache, check_private, load_secret
from braid_kernel.routing import platform
from braid_kernel.units import format_size

__all__ = ("CacheStore", "StoreStats")

log = logging.getLogger("braid_kernel.cache")

_MAGIC = b"BRAIDC2\n"
_TAG_SIZE = hashlib.sha256().digest_size
_HEADER_SIZE = len(_MAGIC) + 8 + _TAG_SIZE
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_READ = os.O_RDONLY | _NOFOLLOW | _CLOEXEC
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC
_DIRECTORY = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _NOFOLLOW | _CLOEXEC
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


class CacheStore:
    """Entries by key in ``directory`` (created on first use), at most ``limit`` bytes,
    authenticated with the secret in ``secret_file`` (made on first use)."""

    def __init__(self, directory: Path, limit: int, secret_file: Path) -> None:
        self.directory = directory
        self.limit = limit
        self.write_error: str | None = None  # the last write that failed, if any
        self.refused: str | None = None  # why the store is not used (not private), if it is not
        self._secret_file = secret_file
        self._secret = b""
        self._fd: int | None = None  # the store directory, opened once (see _open)
        self._opening = threading.Lock()  # guards _fd, _secret and refused
        self._estimate: int | None = None  # bytes in the store, as last scanned plus own writes
        self._scanned_at = -_RESCAN_SECONDS
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)  # pending entries added or written
        self._pending: dict[str, bytes] = {}  # queued for the writer, readable meanwhile
        self._writer: threading.Thread | None = None
        self._closed = False
        self._hurry = False  # someone waits in flush(): write without the batching delay

    @staticmethod
    def _name(key: str) -> str:
        if not _KEY.fullmatch(key):
            raise ValueError(f"not a cache key: {key!r}")
        return key + _SUFFIX

    # ------------------------------------------------------------ opening
    def _open(self, *, again: bool = False) -> int:
        """The store directory's descriptor: on first use (or ``again``, after the directory was
        removed) the secret is loaded and the directory made and checked.  Raises
        :class:`UntrustedCache` (logged once) when the store is refused, ``OSError`` when it
        cannot be made."""
        with self._opening:
            if self.refused is not None:
                raise UntrustedCache(self.refused)
            if self._fd is not None and not again:
                return self._fd
            try:
                if not self._secret:
                    self._secret = load_secret(self._secret_file)
                # A replaced descriptor is not closed: another thread may be reading through it.
                self._fd = _open_private_directory(self.directory)
            except UntrustedCache as exc:
                self.refused = str(exc)
                log.warning(
                    "the cell cache is not used: %s.  Cache entries are pickles the kernel loads, so "
                    "the cache directory is trusted like a Python environment and must be private to "
                    "you (chmod 700 it, or choose another --cache-dir).  Cells run uncached.",
                    exc,
                )
                raise
            return self._fd

    def _tag(self, key: str, payload: bytes | memoryview) -> bytes:
        mac = hmac.new(self._secret, key.encode("ascii") + b"\0", hashlib.sha256)
        mac.update(payload)
        return mac.digest()

    # ------------------------------------------------------------ reading
    def get(self, key: str) -> bytes | memoryview | None:
        """The payload stored under ``key``, or None (absent, corrupt, not authentic or refused)."""
        name = self._name(key)
        with self._lock:
            pending = self._pending.get(key)
        if pending is not None:
            return pending
        try:
            directory = self._open()
            descriptor = os.open(name, _READ, dir_fd=directory)
            with os.fdopen(descriptor, "rb") as file:
                data = file.read()
                with contextlib.suppress(OSError):  # most recently used; through the descriptor
                    os.utime(file.fileno())  # (no symlink to follow, and Pyodide has no lutime)
        except FileNotFoundError:
            return None
        except UntrustedCache:
            return None
        except OSError as exc:  # a symlink (ELOOP), a directory, an unreadable file
            log.warning("cannot read cache entry %s: %s", self.directory / name, exc)
            return None
        payload = self._verify(key, data)
        if payload is None:
            self.discard(key, "corrupt or not authentic (truncated, altered, or not written by you)")
            return None
        return payload

    def _verify(self, key: str, data: bytes) -> memoryview | None:
        """The payload, if ``data`` is a whole entry whose tag is right for ``key``."""
        if len(data) < _HEADER_SIZE or not data.startswith(_MAGIC):
            return None
        length = int.from_bytes(data[len(_MAGIC) : len(_MAGIC) + 8], "little")
        tag = data[len(_MAGIC) + 8 : _HEADER_SIZE]
        payload = memoryview(data)[_HEADER_SIZE:]  # no copy of a large payload
        if len(payload) != length or not hmac.compare_digest(self._tag(key, payload), tag):
            return None
        return payload

    def discard(self, key: str, why: str) -> None:
        """Remove a bad entry, with a warning in the kernel log."""
        name = self._name(key)
        log.warning("cache entry %s is %s: ignored and removed", self.directory / name, why)
        with contextlib.suppress(OSError):
            os.unlink(name, dir_fd=self._open())

    # ------------------------------------------------------------ writing
    def put(self, key: str, payload: bytes) -> None:
        """Store ``payload`` under ``key`` (written by the writer thread, or at once where no
        thread can start), evicting old entries to
        stay within the limit.  Raises ``ValueError`` if the entry alone exceeds the limit or the
        store is refused (not private)."""
        if self.refused is not None:
            raise ValueError(f"the cache is not used: {self.refused}")
        size = _HEADER_SIZE + len(payload)
        if size > self.limit:
            raise ValueError(
                f"the entry takes {format_size(size)}, more than the cache limit of {format_size(self.limit)}"
            )
        self._name(key)  # a bad key fails here, not in the writer
        if not platform.CAN_START_THREADS:  # Pyodide: no writer thread, the cell's thread writes
            self._write(key, payload)
            return
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
        name = self._name(key)
        directory = self._open()
        self._make_room(directory, size)
        header = _MAGIC + len(payload).to_bytes(8, "little") + self._tag(key, payload)
        temp = f".{key}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
        try:
            descriptor = os.open(temp, _CREATE, 0o600, dir_fd=directory)
        except FileNotFoundError:  # the directory was removed since: make it again
            directory = self._open(again=True)
            descriptor = os.open(temp, _CREATE, 0o600, dir_fd=directory)
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(header)
                file.write(payload)
            os.replace(temp, name, src_dir_fd=directory, dst_dir_fd=directory)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp, dir_fd=directory)
            raise
        self._estimate = (self._estimate or 0) + size

    def _make_room(self, directory: int, size: int) -> None:
        stale = time.monotonic() - self._scanned_at > _RESCAN_SECONDS
        if self._estimate is None or stale or self._estimate + size > self.limit:
            self._evict(directory, self.limit - size)

    def _evict(self, directory: int, target: int) -> None:
        """Remove least recently used entries until at most ``target`` bytes remain."""
        files = self._scan(directory)
        self._scanned_at = time.monotonic()
        total = sum(size for _, size, _ in files)
        for _, size, name in sorted(files):
            if total <= target:
                break
            with contextlib.suppress(FileNotFoundError):
                os.unlink(name, dir_fd=directory)
            total -= size
        self._estimate = total

    @staticmethod
    def _scan(directory: int) -> list[tuple[float, int, str]]:
        """``(mtime, size, name)`` of every entry; removes stale temporary files."""
        found: list[tuple[float, int, str]] = []
        now = time.time()
        try:
            entries = list(os.scandir(directory))
        except FileNotFoundError:
            return found
        for item in entries:
            try:
                stat = item.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue
            if item.name.endswith(_SUFFIX):
                found.append((stat.st_mtime, stat.st_size, item.name))
            elif item.name.endswith(".tmp") and now - stat.st_mtime > _STALE_TEMP_SECONDS:
                with contextlib.suppress(OSError):
                    os.unlink(item.name, dir_fd=directory)
        return found

    # ------------------------------------------------------------ housekeeping
    def stats(self) -> StoreStats:
        self.flush()
        try:
            files = self._scan(self._open())
        except OSError:  # refused, or not made yet
            files = []
        return StoreStats(len(files), sum(size for _, size, _ in files))

    def clear(self) -> int:
        """Remove every entry; returns how many were removed."""
        self.flush()
        try:
            directory = self._open()
        except OSError:
            return 0
        removed = 0
        for _, _, name in self._scan(directory):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(name, dir_fd=directory)
                removed += 1
        self._estimate = 0
        return removed


def _open_private_directory(directory: Path) -> int:
    """A descriptor of the store ``directory``, made with mode 0700 (its root too) if missing.

    Raises :class:`UntrustedCache` when it is a symlink, another user's, or writable by group or
    others.  A store of this user that others may read (made by an older version) is closed to
    them.
    """
    directory.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.mkdir(directory, 0o700)
    try:
        descriptor = os.open(directory, _DIRECTORY)
    except OSError as exc:
        if os.path.islink(directory):
            raise UntrustedCache(f"the cache store {directory} is a symlink") from exc
        raise
    try:
        info = os.fstat(descriptor)
        check_private(info, f"the cache store {directory}", writable_only=True)
        if info.st_mode & 0o077:
            os.fchmod(descriptor, 0o700)
    except BaseException:
        os.close(descriptor)
        raise
    _tag(directory.parent)
    return descriptor


def _tag(root: Path) -> None:
    """Mark the cache root for backup tools (https://bford.info/cachedir/)."""
    with contextlib.suppress(OSError):
        descriptor = os.open(root / "CACHEDIR.TAG", _CREATE, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as file:
            file.write(_TAG)
