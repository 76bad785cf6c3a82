"""The error ``input()`` raises when the frontend takes no input, as IPython code expects it.

IPython (``%debug``, ``ask_yes_no``) and libraries catch ``StdinNotImplementedError`` to fall back
when no input can be asked for, as ipykernel raises it.  The kernel's
:class:`~braid_kernel.errors.StdinNotAllowed` (the engine raises it, without IPython) is given that
base here, at the layer that may import IPython.
"""

from __future__ import annotations

from IPython.core.error import StdinNotImplementedError

from braid_kernel import errors


class StdinNotAllowed(errors.StdinNotAllowed, StdinNotImplementedError):  # type: ignore[misc]
    """``input()``/``getpass()`` for a request whose frontend does not accept stdin."""
