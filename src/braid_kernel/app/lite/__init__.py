"""braid as a JupyterLite kernel: the Python half, run by the extension's web worker (``lite/``).

:class:`LiteBridge` connects the worker's raw messages to an in-process kernel on Pyodide's loop.
"""

from __future__ import annotations

from braid_kernel.app.lite.bridge import LiteBridge

__all__ = ("LiteBridge",)
