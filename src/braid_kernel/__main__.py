"""``python -m braid_kernel``: the ``braid-kernel`` command line (see :mod:`braid_kernel.app.cli`).

``python -m braid_kernel -f FILE``, with no subcommand, starts a kernel as ``start -f FILE`` does,
so ipykernel-style kernelspecs and launchers work unchanged.
"""

from __future__ import annotations

import sys

from braid_kernel.app.collector import StartupCollector

# Before the command line's imports: the collector is paused while a kernel starts (see the module).
_collector = StartupCollector.pause()

from braid_kernel.app.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(collector=_collector))
