"""The IPython shell inside the kernel.

:class:`BraidShell` is IPython's ``InteractiveShell`` with the few methods
IPython leaves to a frontend filled in: what ``exit`` does, where
``set_next_input`` and tracebacks of magics go, and which GUI event loops
exist.  Everything else (magics, ``!cmd``, history, completion, inspection)
is IPython's own.
"""

from __future__ import annotations

from typing import Any

from IPython.core.interactiveshell import InteractiveShell

from braid_kernel.engine.cell import current_cell
from braid_kernel.routing.publisher import Publisher

_INLINE_GUIS = (None, "inline", "agg")


class BraidShell(InteractiveShell):  # type: ignore[misc]
    """InteractiveShell for a kernel: payloads instead of terminal actions."""

    publisher: Publisher | None = None
    kernel: Any = None  # a facade for libraries that look for get_ipython().kernel

    def enable_gui(self, gui: str | None = None) -> None:
        if gui in _INLINE_GUIS:
            return
        raise RuntimeError(
            f"GUI event loop {gui!r} is not available in this kernel: use %matplotlib inline, "
            "or install a kernelspec with an event loop host (braid-kernel install --loop tk|qt)"
        )

    def ask_exit(self) -> None:
        """``exit``/``quit``: ask the frontend to close (kernel keeps running)."""
        cell = current_cell.get()
        if cell is not None:
            cell.add_payload({"source": "ask_exit", "keepkernel": False})

    def set_next_input(self, s: str, replace: bool = False) -> None:
        cell = current_cell.get()
        if cell is not None:
            cell.add_payload({"source": "set_next_input", "text": s, "replace": bool(replace)})

    def _showtraceback(self, etype: type[BaseException], evalue: BaseException, stb: list[str]) -> None:
        """Tracebacks shown by magics and formatters go out as ``error`` messages."""
        if self.publisher is None:
            super()._showtraceback(etype, evalue, stb)
            return
        self.publisher.iopub("error", {"ename": etype.__name__, "evalue": str(evalue), "traceback": stb})
