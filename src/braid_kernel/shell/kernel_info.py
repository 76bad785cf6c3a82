"""The kernel_info_reply content (computed once; it never changes)."""

from __future__ import annotations

import platform
import sys

import IPython

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


def kernel_info_content(banner: str, features: list[str], debugger: bool) -> JsonDict:
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
        "banner": banner or f"Python {platform.python_version()} - IPython {IPython.__version__}",
        "help_links": HELP_LINKS,
        "supported_features": features,
        "debugger": debugger,
    }
