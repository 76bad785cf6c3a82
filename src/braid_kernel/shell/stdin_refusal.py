"""The error ``input()`` raises when the frontend takes no input, as IPython code expects it.

IPython (``%debug``, ``ask_yes_no``) and libraries catch ``StdinNotImplementedError`` to fall back
when no input can be asked for, as ipykernel raises it, and clients match the error's name
(nbclient's ``allow_error_names``).  The kernel's :class:`~braid_kernel.errors.StdinNotAllowed`
(the engine raises it, without IPython) is given that base and that name here, at the layer that
may import IPython.
"""

from __future__ import annotations

from IPython.core import error

from braid_kernel import errors


class StdinNotImplementedError(errors.StdinNotAllowed, error.StdinNotImplementedError):  # type: ignore[misc]
    """``input()``/``getpass()`` for a request whose frontend does not accept stdin (named as
    IPython's, since the name is what a client sees in the reply's ``ename``)."""


StdinNotAllowed = StdinNotImplementedError  # the kernel's name for it
