"""Debian's Chromium under Playwright, launched for a closed network.

The tests never download a browser: Playwright drives the system's ``/usr/bin/chromium`` (which
``python3 dev.py test`` installs with apt-get on Debian when it is missing).  The flags turn off
everything that would reach the network on its own (component updates, sync, background
networking, QUIC) and the first-run UI; Playwright gives each launch a fresh user-data dir.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

CHROMIUM = Path(os.environ.get("BRAID_E2E_CHROMIUM", "/usr/bin/chromium"))
CLOSED_NETWORK_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)
VIEWPORT_SIZE = (1280, 900)  # room for a notebook and its outputs in the screenshots


def missing_browser() -> str:
    """Why the e2e tests cannot run here, or "" if they can."""
    if not CHROMIUM.exists():
        return (
            f"{CHROMIUM} not found (on Debian: apt-get install chromium; python3 dev.py test does it as root)"
        )
    for package in ("playwright", "jupyterlab"):
        if importlib.util.find_spec(package) is None:
            return f"the {package} package is not installed (pip install -e '.[e2e]')"
    return ""
