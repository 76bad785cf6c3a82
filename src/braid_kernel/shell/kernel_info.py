"""The kernel_info_reply content (computed once; it never changes).

It is computed before IPython is imported — a kernel process answers
kernel_info while it is still building its shell — so IPython's version is
read from its installed distribution's folder name, not from IPython.
"""

from __future__ import annotations

import importlib.util
import os
import platform
import sys

from braid_kernel.wire.message import PROTOCOL_VERSION, JsonDict

HELP_LINKS = [
    {
        "text": "Python Reference",
        "url": f"https://docs.python.org/{sys.version_info.major}.{sys.version_info.minor}",
    },
    {"text": "IPython Reference", "url": "https://ipython.readthedocs.io/en/stable/"},
    {"text": "braid-kernel", "url": "https://pypi.org/project/braid-kernel/"},
    {"text": "Markdown Reference", "url": "https://commonmark.org/help/"},
]


def implementation_version() -> str:
    from braid_kernel import __version__

    return __version__


def ipython_version() -> str:
    """IPython's version without importing it (``ipython-X.Y.Z.dist-info`` beside it)."""
    spec = importlib.util.find_spec("IPython")
    if spec is not None and spec.submodule_search_locations:
        site = os.path.dirname(next(iter(spec.submodule_search_locations)))
        for name in os.listdir(site):
            if name.lower().startswith("ipython-") and name.endswith(".dist-info"):
                return name[len("ipython-") : -len(".dist-info")]
    return "unknown"


def default_banner() -> str:
    """What the console shows on connecting: Python's and IPython's versions."""
    return (
        f"Python {sys.version}\n"
        "Type 'copyright', 'credits' or 'license' for more information\n"
        f"IPython {ipython_version()} -- An enhanced Interactive Python. Type '?' for help.\n"
    )


def kernel_info_content(features: list[str], debugger: bool, banner: str | None = None) -> JsonDict:
    """The reply to kernel_info_request, on shell and control alike."""
    return {
        "status": "ok",
        "protocol_version": PROTOCOL_VERSION,
        "implementation": "braid-kernel",
        "implementation_version": implementation_version(),
        "language_info": {
            "name": "python",
            "version": platform.python_version(),
            "mimetype": "text/x-python",
            "codemirror_mode": {"name": "ipython", "version": sys.version_info.major},
            "pygments_lexer": f"ipython{sys.version_info.major}",
            "nbconvert_exporter": "python",
            "file_extension": ".py",
        },
        "banner": banner if banner is not None else default_banner(),
        "help_links": HELP_LINKS,
        "supported_features": features,
        "debugger": debugger,
    }
