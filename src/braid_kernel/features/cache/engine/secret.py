"""The per-user secret that authenticates cache entries, and the checks that keep a store private.

Cache entries are pickles, and loading a pickle runs whatever code it names.  An entry is loaded
only if its HMAC-SHA256 tag, computed with this user's secret, is right: a file planted by someone
who cannot read the secret (another local user writing to a shared cache directory, a cache
directory that arrived inside a cloned repository or a container image) is a miss.

The secret is 32 random bytes kept, hex-encoded, in a file only its owner may read:
``$BRAID_CACHE_SECRET_FILE``, else ``cache-secret`` in the user's data directory
(``~/.local/share/braid-kernel`` on Linux, as platformdirs defines it per platform).  It is made on
first use (a new file linked into place, so two kernels starting at once agree on one secret) and
refused when it is a symlink, owned by someone else or readable by group or others.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path

__all__ = ("ENV_SECRET_FILE", "UntrustedCache", "check_private", "load_secret", "secret_file")

ENV_SECRET_FILE = "BRAID_CACHE_SECRET_FILE"
_SECRET_BYTES = 32
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


class UntrustedCache(OSError):
    """The cache's secret or store is not private to this user: the cache is not used."""


def secret_file(environ: Mapping[str, str]) -> Path:
    """Where this user's cache secret lives: ``$BRAID_CACHE_SECRET_FILE``, else the user data dir."""
    if environ.get(ENV_SECRET_FILE):
        return Path(environ[ENV_SECRET_FILE]).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("braid-kernel", appauthor=False)) / "cache-secret"


def check_private(info: os.stat_result, what: str, *, writable_only: bool = False) -> None:
    """Refuse (:class:`UntrustedCache`) a file or directory owned by another user, or open to group
    or others (only write access counts with ``writable_only``)."""
    geteuid = getattr(os, "geteuid", None)  # Pyodide has none: one user, the page's
    if geteuid is not None and info.st_uid != geteuid():
        raise UntrustedCache(f"{what} is owned by another user (uid {info.st_uid})")
    mask = 0o022 if writable_only else 0o077
    if info.st_mode & mask:
        access = "writable" if info.st_mode & 0o022 else "readable"
        raise UntrustedCache(f"{what} is {access} by group or others (mode {stat.S_IMODE(info.st_mode):03o})")


def load_secret(path: Path) -> bytes:
    """This user's secret from ``path``, made there first if there is none.

    Raises :class:`UntrustedCache` when the file is not private or not a secret, ``OSError`` when
    it can be neither read nor made.
    """
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not hasattr(os, "link"):  # Pyodide: one process, no hard links; made in place, private
        with contextlib.suppress(FileExistsError):
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _CLOEXEC, 0o600)
            with os.fdopen(descriptor, "w", encoding="ascii") as file:
                file.write(secrets.token_hex(_SECRET_BYTES) + "\n")
        return _read(path)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".cache-secret-")  # mode 0600
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as file:
            file.write(secrets.token_hex(_SECRET_BYTES) + "\n")
        with contextlib.suppress(FileExistsError):  # another kernel made it first: use theirs
            os.link(temporary, path)
    finally:
        os.unlink(temporary)
    return _read(path)


def _read(path: Path) -> bytes:
    try:
        descriptor = os.open(path, os.O_RDONLY | _NOFOLLOW | _CLOEXEC)
    except OSError as exc:
        if os.path.islink(path):
            raise UntrustedCache(f"the cache secret {path} is a symlink") from exc
        raise
    with os.fdopen(descriptor, "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise UntrustedCache(f"the cache secret {path} is not a regular file")
        check_private(info, f"the cache secret {path}")
        text = file.read(4 * _SECRET_BYTES)
    try:
        secret = bytes.fromhex(text.decode("ascii").strip())
    except ValueError as exc:
        raise UntrustedCache(f"the cache secret {path} does not hold a secret") from exc
    if len(secret) < _SECRET_BYTES:
        raise UntrustedCache(f"the cache secret {path} is too short")
    return secret
