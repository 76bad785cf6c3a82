"""GUI event-loop hosts: a Tk or Qt main loop on the main thread, the async backend as its guest.

``--loop tk|qt`` makes the toolkit's main loop own the main thread, so windows stay live while
cells run and await, and cells (which run on the main thread) can create and update widgets.  The
backend runs inside it: trio through ``trio.lowlevel.start_guest_run``, asyncio through
:class:`~braid_kernel.features.gui.engine.asyncio_guest.AsyncioGuest`.  :func:`check_gui` runs at startup and
names what to install or set when the toolkit or a display is missing.
"""

from braid_kernel.features.gui.engine.checks import check_gui
from braid_kernel.features.gui.engine.run import run_guest

__all__ = ("check_gui", "run_guest")
