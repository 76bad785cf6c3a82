"""``input()`` and ``getpass()`` for cells, answered by the frontend.

The replacements ask the frontend through the current request; a request
whose frontend does not accept stdin (``allow_stdin`` false) gets
:class:`~braid_kernel.errors.StdinNotAllowed` at once instead of a hang.
"""

from __future__ import annotations

import builtins
import getpass
from collections.abc import Callable
from typing import Any, Protocol

from braid_kernel.engine.standin import stand_in
from braid_kernel.errors import StdinNotAllowed
from braid_kernel.routing.context import Request, current_request


class InputSource(Protocol):
    def ask(self, prompt: str, password: bool, request: Request) -> str: ...


class CellInput:
    """The ``input``/``getpass`` functions cells see."""

    def __init__(self, source: InputSource, refusal: type[StdinNotAllowed] = StdinNotAllowed) -> None:
        self._source = source
        self._refusal = refusal  # the shell layer passes a subclass IPython code recognises

    def _ask(self, prompt: object, password: bool) -> str:
        request = current_request.get()
        if request is None or not request.allow_stdin:
            # ipykernel's words: clients (nbclient's tests) compare them
            raise self._refusal("raw_input was called, but this frontend does not support input requests.")
        return self._source.ask(str(prompt), password, request)

    def input(self, prompt: object = "") -> str:
        """Drop-in for :func:`input`."""
        return self._ask(prompt, False)

    def getpass(self, prompt: str = "Password: ", stream: Any = None) -> str:
        """Drop-in for :func:`getpass.getpass` (``stream`` is ignored)."""
        del stream
        return self._ask(prompt, True)

    def functions(self) -> tuple[Callable[..., str], Callable[..., str]]:
        """The ``input`` and ``getpass.getpass`` the kernel installs (see
        :mod:`braid_kernel.process_hooks`): functions that pass for the originals (see
        :mod:`~braid_kernel.engine.standin`)."""

        @stand_in(builtins.input)
        def input(prompt: object = "", /) -> str:
            return self.input(prompt)

        @stand_in(getpass.getpass, qualname="getpass")  # it is getpass.unix_getpass on Unix
        def getpass_(prompt: str = "Password: ", stream: Any = None) -> str:
            return self.getpass(prompt, stream)

        return input, getpass_
