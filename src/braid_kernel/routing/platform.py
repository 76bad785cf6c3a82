"""What the platform lets the kernel do, decided once: threads and processes.

Under Pyodide (``sys.platform == "emscripten"``, JupyterLite) CPython is built without
threads: ``Thread.start`` raises.  The parts that need a thread of their own — subshells, cache
mode's writer, multi mode's sampler — check :data:`CAN_START_THREADS` and do without it or refuse
with a clear message, instead of failing on each use; ``!cmd`` checks :data:`CAN_START_PROCESSES`.
"""

from __future__ import annotations

import sys

IN_BROWSER = sys.platform == "emscripten"
"""Pyodide: CPython compiled to WebAssembly, in a browser's web worker (JupyterLite) or Node."""

CAN_START_THREADS = not IN_BROWSER
"""False where no thread can start (Pyodide)."""

NO_THREADS = "this platform (emscripten: Pyodide, JupyterLite) cannot start threads"
"""Why something needing a thread is refused, for messages."""

CAN_START_PROCESSES = not IN_BROWSER
"""False where no process can start (Pyodide: ``subprocess`` raises)."""

NO_PROCESSES = "this platform (emscripten: Pyodide, JupyterLite) cannot start processes"
