"""Where a kernel's cache lives, and how big it may grow.

The cache root is, in order of precedence: the ``--cache-dir`` option, the ``BRAID_CACHE_DIR``
environment variable, the user's cache directory (``~/.cache/braid-kernel`` on Linux, as
platformdirs defines it per platform).  Under the root each notebook gets its own store: the
notebook's path comes from ``JPY_SESSION_NAME``, which jupyter_server sets for the kernels it
starts; a kernel without it (nbclient, jupyter console) gets one store per working directory.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from pathlib import Path

__all__ = ("ENV_DIR", "cache_root", "store_directory")

ENV_DIR = "BRAID_CACHE_DIR"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def cache_root(option: Path | None, environ: Mapping[str, str]) -> Path:
    """The directory holding every store: the option, else ``$BRAID_CACHE_DIR``, else the user cache dir."""
    if option is not None:
        return option.expanduser()
    if environ.get(ENV_DIR):
        return Path(environ[ENV_DIR]).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("braid-kernel", appauthor=False))


def store_directory(root: Path, environ: Mapping[str, str], cwd: Path) -> Path:
    """This kernel's store under ``root``: one per notebook (``JPY_SESSION_NAME``), else per
    working directory.  The name is readable (the notebook's or directory's name) and unique (a
    hash of the full path)."""
    notebook = environ.get("JPY_SESSION_NAME")
    if notebook:
        path = Path(notebook)
        full = path if path.is_absolute() else cwd / path
        label = path.stem
    else:
        full, label = cwd, f"dir-{cwd.name}"
    digest = hashlib.sha256(str(full).encode()).hexdigest()[:16]
    return root / f"{_UNSAFE.sub('_', label)[:40]}-{digest}"
