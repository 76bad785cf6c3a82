"""What the platform lets the kernel do, decided once: threads and processes.

Under Pyodide (``sys.platform == "emscripten"``, JupyterLite) CPython is built without
threads: ``Thread.start`` raises.  The parts that need a thread of their own — subshells, cache
mode's writer, multi mode's sampler — check :data:`CAN_START_THREADS` and do without it or refuse
with a clear message, instead of failing on each use; ``!cmd`` checks :data:`CAN_START_PROCESSES`.
"""

from __future__ import annotations

import sys

CAN_START_THREADS = sys.platform != "emscripten"
"""False where no thread can start (Pyodide)."""

NO_THREADS = "this platform (emscripten: Pyodide, JupyterLite) cannot start threads"
"""Why something needing a thread is refused, for messages."""

CAN_START_PROCESSES = sys.platform != "emscripten"
"""False where no process can start (Pyodide: ``subprocess`` raises)."""

NO_PROCESSES = "this platform (emscripten: Pyodide, JupyterLite) cannot start processes"
