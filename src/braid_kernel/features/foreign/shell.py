"""``%trio`` / ``%asyncio`` (line and cell magics): run a cell's code on the other async library.

``%trio await trio.sleep(1)``, ``value = %asyncio some_asyncio_coroutine()`` and a cell starting
with ``%%trio`` run their code in the user namespace on that library's loop, through
:meth:`braid_kernel.features.foreign.engine.ForeignLoops.run_on`, so the kernel's own loop keeps
serving and what the code leaves bound to that loop (a client, a queue) works in the next cell.  The code may
use top-level ``await``; the value of its last expression is the magic's value (awaited there when
it is awaitable).  A magic call is synchronous in IPython, so the magic returns a coroutine and
:func:`await_foreign_magics`, an input transformer, makes the cell await it.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Coroutine
from typing import Any

from IPython.core.interactiveshell import InteractiveShell
from IPython.core.magic import Magics, line_cell_magic, magics_class

from braid_kernel.engine.compiler import compile_cell, run_code
from braid_kernel.features.foreign.engine import ForeignLoops

__all__ = ("ForeignLoopMagics", "await_foreign_magics")

# What IPython turns `%trio ...` / `%%trio` into; the call gets an `await` in front.
_MAGIC_CALL = re.compile(r"(?<!await )get_ipython\(\)\.run_(?:line|cell)_magic\('(?:trio|asyncio)',")


def await_foreign_magics(lines: list[str]) -> list[str]:
    """Input transformer (runs after IPython's): await what ``%trio``/``%asyncio`` return."""
    return [_MAGIC_CALL.sub(lambda m: f"await {m.group(0)}", line) for line in lines]


@magics_class
class ForeignLoopMagics(Magics):  # type: ignore[misc]
    """The ``%trio`` and ``%asyncio`` magics, running code on the kernel's ``loops``."""

    def __init__(self, shell: InteractiveShell, loops: ForeignLoops) -> None:
        super().__init__(shell)
        self._loops = loops

    @line_cell_magic("trio")  # type: ignore[untyped-decorator]
    def trio_magic(self, line: str, cell: str | None = None) -> Coroutine[Any, Any, Any]:
        """Run the line (or the cell below ``%%trio``) on trio; top-level ``await`` allowed."""
        return self._run("trio", line, cell)

    @line_cell_magic("asyncio")  # type: ignore[untyped-decorator]
    def asyncio_magic(self, line: str, cell: str | None = None) -> Coroutine[Any, Any, Any]:
        """Run the line (or the cell below ``%%asyncio``) on asyncio; top-level ``await`` allowed."""
        return self._run("asyncio", line, cell)

    def _run(self, backend: str, line: str, cell: str | None) -> Coroutine[Any, Any, Any]:
        source = line if cell is None else cell
        compiled = compile_cell(source, f"<%{backend}>", int(self.shell.compile.flags))
        namespace: dict[str, Any] = self.shell.user_ns

        async def execute() -> Any:
            value = None
            for part in compiled.parts:
                value = await run_code(part.code, namespace)
                if not part.shown:
                    value = None
            return await value if inspect.isawaitable(value) else value

        return self._loops.run_on(backend, execute)
