"""``python -m braid_kernel``: the ``braid-kernel`` command line (see :mod:`braid_kernel.app.cli`).

``python -m braid_kernel -f FILE``, with no subcommand, starts a kernel as ``start -f FILE`` does,
so ipykernel-style kernelspecs and launchers work unchanged.
"""

from __future__ import annotations

import sys

if __name__ == "__main__":
    # Before the command line's imports: the collector is paused while a kernel starts
    # (braid_kernel.app.collector); importing this module changes nothing.
    from braid_kernel.app.collector import StartupCollector

    collector = StartupCollector.pause()
    from braid_kernel.app.cli import main

    sys.exit(main(collector=collector))
