"""Replacements of process-wide functions that pass for the functions they replace.

The kernel replaces a few functions of the standard library and of ``comm`` in the whole process
(``time.sleep``, ``threading.Thread.start``, ``ThreadPoolExecutor.submit``, ``input``,
``getpass.getpass``, ``comm.create_comm``...).  User code and libraries hold, compare, inspect and
pickle these functions: ``ProcessPoolExecutor().submit(time.sleep, 0)`` pickles ``time.sleep``;
``inspect.signature(input)`` and ``unittest.mock.patch("time.sleep", autospec=True)`` read its
signature.  :func:`stand_in` makes a replacement answer all of that as the original does:

* it is a plain function carrying the original's ``__module__``, ``__name__``, ``__qualname__``
  and ``__doc__`` (``functools.update_wrapper``), so pickle (and cloudpickle, Dask, joblib) saves
  it *by reference*, as ``time.sleep``; a process that loads the pickle gets its own
  ``time.sleep``.  Pickle checks that the name leads back to the object, which holds while the
  replacement is installed (``qualname`` covers an original installed under another name than
  its own);
* ``__wrapped__`` points to the original, so ``inspect.signature`` (and ``mock``'s autospec)
  report the original's signature, and ``inspect.unwrap`` finds it.

A bound method (what the kernel used to install) has none of this: it pickles as "this method of
that kernel object", which fails.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

_F = TypeVar("_F", bound=Callable[..., Any])


def stand_in(original: Callable[..., Any], qualname: str | None = None) -> Callable[[_F], _F]:
    """Decorator: give the decorated function the identity of ``original``, which it replaces.

    ``qualname``: the name the replacement is installed under in ``original.__module__``, when
    that is not ``original.__qualname__`` (``getpass.getpass`` is ``getpass.unix_getpass``):
    pickle finds the replacement by it, and a process loading the pickle gets the original."""

    def decorate(replacement: _F) -> _F:
        functools.update_wrapper(replacement, original)
        if qualname is not None:
            replacement.__qualname__ = qualname
        return replacement

    return decorate
