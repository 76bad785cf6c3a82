"""The options of ``braid-kernel lite build`` (the command itself is in :mod:`braid_kernel.app.cli`)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from braid_kernel.engine.modes import Mode


def add_build_arguments(build: argparse.ArgumentParser, modes: Callable[[str], Mode]) -> None:
    """Add ``lite build``'s arguments to its parser; ``modes`` parses a dash-joined modes value."""
    build.add_argument("output", type=Path, metavar="OUTPUT_DIR", help="where the site goes (replaced)")
    build.add_argument(
        "--deps", type=Path, metavar="DIR",
        help="Pyodide and the wheels to ship, from a folder with a manifest.json (`python3 dev.py "
        "lite-deps DIR`); by default they are fetched into --cache-dir, once, and reused offline",
    )  # fmt: skip
    build.add_argument(
        "--cache-dir", type=Path, metavar="DIR",
        help="where fetched Pyodide and wheels are kept (default: ~/.cache/braid-kernel/lite)",
    )  # fmt: skip
    build.add_argument(
        "--index-url", metavar="URL", default=None,
        help="the package index for the wheels (PEP 691 JSON; default https://pypi.org/simple/)",
    )  # fmt: skip
    build.add_argument("--npm-registry", metavar="URL", default=None,
                       help="the npm registry for Pyodide (default https://registry.npmjs.org/)")  # fmt: skip
    build.add_argument("--refresh", action="store_true",
                       help="ask the registries for newer Pyodide and wheels than the cache's")  # fmt: skip
    build.add_argument("--contents", type=Path, action="append", default=[], metavar="PATH",
                       help="a file or folder the site offers in its file browser (repeatable)")  # fmt: skip
    build.add_argument("--modes", type=modes, default=Mode(0), metavar="MODES",
                       help="the kernel's modes, as for install (e.g. react)")  # fmt: skip
    build.add_argument("--lazy", action="store_true",
                       help="with react: lazy mode (a change marks the dependent cells stale)")  # fmt: skip
    build.add_argument(
        "--kernel", action="append", default=[], metavar="MODES",
        help="another kernel to offer, by its modes as in kernelspec names (react-lazy, cache, "
        "concurrent-react); repeatable",
    )  # fmt: skip
