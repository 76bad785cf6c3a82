"""Keeping the kernel's own threads out of the debugger.

debugpy (pydevd) traces every thread of the process once it starts, and lists
every thread in its ``threads`` response.  A kernel thread that is traced gets
suspended with the others when a breakpoint stops "all threads", so a control
thread that is traced could no longer answer the ``continue`` request that
would resume it.  pydevd honours two attributes on a ``threading.Thread``:

- ``pydev_do_not_trace = True``: no trace function is installed in the thread
  (neither when debugging starts nor later), so it never stops;
- ``is_pydev_daemon_thread = True``: the thread is left out of the ``threads``
  response (and, once pydevd has patched :mod:`threading`, out of
  ``threading.enumerate()``).

Setting them needs neither debugpy nor pydevd to be imported, so the kernel
marks its threads at creation whether or not a debugger ever starts.
"""

from __future__ import annotations

import threading
from typing import TypeVar

ThreadT = TypeVar("ThreadT", bound=threading.Thread)


def untraced(thread: ThreadT) -> ThreadT:
    """Mark ``thread`` as kernel machinery: never traced, never shown; return it.

    Call it before ``thread.start()`` for threads created by the kernel (I/O,
    control, heartbeat, IPython's history saver).  It may also be called on a
    running thread; it then takes effect when debugging (re)starts and at the
    thread's next traced call.  Threads started by user code must not be
    marked: they are what the user debugs.
    """
    # setattr: threading.Thread declares neither attribute; pydevd reads them with getattr.
    setattr(thread, "pydev_do_not_trace", True)  # noqa: B010
    setattr(thread, "is_pydev_daemon_thread", True)  # noqa: B010
    return thread


def is_untraced(thread: threading.Thread) -> bool:
    """True when :func:`untraced` (or pydevd itself) marked the thread."""
    return bool(getattr(thread, "pydev_do_not_trace", False))
