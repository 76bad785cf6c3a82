"""The Python versions braid-kernel is tested on, and what to do on any other.

pyproject.toml accepts any CPython >= 3.11 (``requires-python``; its classifiers name the tested
versions), because a cap there makes pip pick an old release instead of saying anything.  The
kernel relies on a few interpreter details that a new Python may change:

* ``features/gui/engine/asyncio_guest.py``: asyncio's private ``BaseEventLoop._run_once`` (one loop
  iteration), ``_selector``, ``_asyncgen_firstiter_hook``/``_asyncgen_finalizer_hook`` and
  ``asyncio._set_running_loop`` (asyncio as the guest of a Tk/Qt loop);
* ``engine/threadinterrupt.py``: ``ctypes.pythonapi.PyThreadState_SetAsyncExc`` (interrupting a
  subshell thread);
* ``engine/interrupt.py``, ``features/multi/engine.py``, ``app/shells.py``: ``sys._current_frames``
  and frame/code attributes (``f_back``, ``f_code.co_filename``, ``co_name``, ``f_globals``);
* ``features/cache/engine/fingerprint.py``: code object fields (``co_code``, ``co_exceptiontable``,
  ``co_qualname``: 3.11+), which differ between versions (a cache entry is only reused by the
  version that wrote it);
* ``engine/standin.py``: pickle saving a function by its ``__module__``/``__qualname__``.

:data:`TESTED_PYTHONS` lists the ``(major, minor)`` versions the whole test suite passed on.  On
any other version the kernel still starts, but it says so loudly: a warning in the kernel's log
at every start and from ``braid-kernel install``; the test suite fails
(``tests/test_pythons.py``) until the version has been tried and added here; and code using a
private detail checks it is there and raises an error naming it (:func:`require_internals`)
instead of failing somewhere deep inside.
"""

from __future__ import annotations

import sys

from braid_kernel.errors import ConfigError

TESTED_PYTHONS: tuple[tuple[int, int], ...] = ((3, 11),)


def _dotted(version: tuple[int, int]) -> str:
    return f"{version[0]}.{version[1]}"


def untested_python(version: tuple[int, int] | None = None) -> str | None:
    """A warning when ``version`` (default: the running interpreter's) is not in
    :data:`TESTED_PYTHONS`; None when it is."""
    version = version or (sys.version_info.major, sys.version_info.minor)
    if version in TESTED_PYTHONS:
        return None
    tested = ", ".join(_dotted(v) for v in TESTED_PYTHONS)
    return (
        f"braid-kernel is tested on Python {tested}, not on {_dotted(version)}: it relies on "
        "interpreter details (asyncio internals, frames) that may differ; report problems"
    )


def require_internals(owner: object, names: tuple[str, ...], needed_for: str) -> None:
    """Raise :class:`~braid_kernel.errors.ConfigError` naming what is missing unless ``owner``
    has every attribute of ``names`` (private details of the interpreter ``needed_for`` uses)."""
    missing = [name for name in names if not hasattr(owner, name)]
    if missing:
        version = _dotted((sys.version_info.major, sys.version_info.minor))
        raise ConfigError(
            f"{needed_for} relies on {getattr(owner, '__name__', owner)}.{', .'.join(missing)}, "
            f"which Python {version} does not have (tested on "
            f"{', '.join(_dotted(v) for v in TESTED_PYTHONS)})"
        )
