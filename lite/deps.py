"""``python3 dev.py lite-deps [CACHE]``: braid's Pyodide dependencies for this checkout.

A thin caller of :func:`braid_kernel.app.lite.deps.ensure` (what ``braid-kernel lite build`` runs
when no ``--deps`` is given) with the checkout's own cache folder, ``.lite-cache`` (gitignored),
which the Node tests (tests/lite) and the browser test (tests/e2e/test_lite.py) read: Pyodide from
the npm registry, braid's wheel packed from this checkout's ``src/`` (the dev venv installs it
editable) and its dependencies' wheels from PyPI.  A rerun with nothing changed fetches nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from braid_kernel.app.lite.deps import Manifest
from braid_kernel.app.lite.deps import ensure as _ensure

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CACHE = ROOT / ".lite-cache"

__all__ = ("DEFAULT_CACHE", "Manifest", "ensure", "main")


def ensure(cache: Path = DEFAULT_CACHE) -> Manifest:
    """Fill ``cache`` (default ``.lite-cache``) and return its manifest."""
    return _ensure(cache)


def main(argv: Sequence[str]) -> int:
    if len(argv) > 1:
        raise SystemExit("usage: python3 dev.py lite-deps [CACHE]")
    cache = Path(argv[0]).resolve() if argv else DEFAULT_CACHE
    manifest = ensure(cache)
    print(f"[lite-deps] Pyodide {manifest.pyodide_version} and {len(manifest.wheels)} wheels in {cache}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
