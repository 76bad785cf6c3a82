"""The magics ipykernel adds to IPython's, for notebooks that use them.

A terminal IPython pages with ``less``, clears the screen and opens an editor in the terminal; a
kernel has no terminal, so ipykernel replaces or adds a few magics, and notebooks written for it
use them: ``%clear``, ``%less``/``%more``/``%man`` (the pager's text goes to the frontend),
``%edit``/``%ed`` (an ``edit_magic`` payload naming the file for the frontend to open),
``%connect_info`` (how ``jupyter console --existing`` attaches to this kernel), ``%qtconsole``,
``%autosave`` (old notebooks start with it) and ``%subshell`` (JEP 91 subshells).  Each behaves
as ipykernel 7's does.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import threading
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from IPython.core import page
from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magics.code import CodeMagics, MacroToEdit
from IPython.display import Javascript, display
from IPython.utils import openpy
from IPython.utils.process import arg_split

from braid_kernel.engine.cell import current_cell
from braid_kernel.routing.context import current_request

CONNECT_HELP = """Paste the above JSON into a file, and connect with:
    $> jupyter <app> --existing <file>
or, if you are local, you can connect with just:
    $> jupyter <app> --existing {short}
or even just:
    $> jupyter <app> --existing
if this is the most recent Jupyter kernel you have started."""


@magics_class
class KernelMagics(Magics):  # type: ignore[misc]
    """ipykernel's kernel magics; ``connection_file`` is None in an in-process kernel, and
    ``subshells`` lists the ids of the kernel's subshells."""

    def __init__(
        self, shell: Any, connection_file: Path | None, subshells: Callable[[], Sequence[str]]
    ) -> None:
        super().__init__(shell)
        self._connection_file = connection_file
        self._subshells = subshells

    @line_magic  # type: ignore[untyped-decorator]
    def clear(self, arg_s: str) -> None:
        """Clear the terminal (the escape sequence reaches the cell's output)."""
        del arg_s
        self.shell.system("clear" if os.name == "posix" else "cls")

    @line_magic  # type: ignore[untyped-decorator]
    def less(self, arg_s: str) -> None:
        """Show a file through the pager (``.py`` files syntax-highlighted)."""
        if not arg_s:
            raise UsageError("Missing filename.")
        if arg_s.endswith(".py"):
            text = self.shell.pycolorize(openpy.read_py_file(arg_s, skip_encoding_cookie=False))
        else:
            text = Path(arg_s).read_text()
        page.page(text)

    @line_magic  # type: ignore[untyped-decorator]
    def more(self, arg_s: str) -> None:
        """Show a file through the pager (as ``%less``)."""
        self.less(arg_s)

    @line_magic  # type: ignore[untyped-decorator]
    def man(self, arg_s: str) -> None:
        """Show the man page of a command in the pager."""
        page.page(self.shell.getoutput(f"man {arg_s} | col -b", split=False))

    @line_magic  # type: ignore[untyped-decorator]
    def edit(self, parameter_s: str = "", last_call: list[str] | None = None) -> None:
        """Ask the frontend to open a file, an object's source or history in its editor.

        Takes IPython's ``%edit`` arguments (``-n LINE``, ``-p``, ``-r``; numbers or ranges of
        history, a variable holding code, an object, a file name).  Unlike in a terminal, the
        edited file is not run afterwards: the kernel cannot know when the editor closes.
        """
        opts, args = self.parse_options(parameter_s, "prn:")
        try:
            # IPython's own resolution of what to edit, as ipykernel uses it.
            filename, lineno, _ = CodeMagics._find_edit_target(self.shell, args, opts, last_call or ["", ""])
        except MacroToEdit:
            print("Macro editing not yet implemented in 2-process model.")
            return
        cell = current_cell.get()
        if cell is not None:
            path = str(Path(filename).resolve())  # the frontend may run elsewhere
            cell.add_payload({"source": "edit_magic", "filename": path, "line_number": lineno})

    @line_magic  # type: ignore[untyped-decorator]
    def connect_info(self, arg_s: str) -> None:
        """Print this kernel's connection file, for ``jupyter console --existing``."""
        del arg_s
        if self._connection_file is None:
            warnings.warn("Could not get connection info: this kernel has no connection file", stacklevel=2)
            return
        try:
            info = self._connection_file.read_text()
        except OSError as exc:
            warnings.warn(f"Could not get connection info: {exc!r}", stacklevel=2)
            return
        # Imported here: jupyter_core and platformdirs cost ~3 ms of every kernel's startup.
        from jupyter_core.paths import jupyter_runtime_dir

        short = str(self._connection_file)
        if Path(jupyter_runtime_dir()) == self._connection_file.parent:
            short = self._connection_file.name
        print(info + "\n")
        print(CONNECT_HELP.format(short=short))

    @line_magic  # type: ignore[untyped-decorator]
    def qtconsole(self, arg_s: str) -> None:
        """Open a Jupyter QtConsole attached to this kernel."""
        if self._connection_file is None or importlib.util.find_spec("qtconsole") is None:
            why = "no connection file" if self._connection_file is None else "qtconsole is not installed"
            warnings.warn(f"Could not start qtconsole: {why}", stacklevel=2)
            return
        argv = [sys.executable, "-m", "qtconsole", "--existing", str(self._connection_file)]
        # Its own session, so an interrupt of the kernel does not reach it; it outlives the cell.
        subprocess.Popen(
            [*argv, *arg_split(arg_s, os.name == "posix")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    @line_magic  # type: ignore[untyped-decorator]
    def autosave(self, arg_s: str) -> None:
        """Set the classic notebook's autosave interval in seconds (0 disables it)."""
        try:
            interval = int(arg_s)
        except ValueError as exc:
            raise UsageError(f"%autosave requires an integer, got {arg_s!r}") from exc
        script = f"IPython.notebook.set_autosave_interval({1000 * interval})"
        display(Javascript(script), include=["application/javascript"])
        print(f"Autosaving every {interval} seconds" if interval else "Autosave disabled")

    @line_magic  # type: ignore[untyped-decorator]
    def subshell(self, arg_s: str) -> None:
        """Which subshell this cell runs in, and the kernel's subshells."""
        del arg_s
        request = current_request.get()
        subshell_id = request.header.get("subshell_id") if request is not None else None
        print(f"subshell id: {subshell_id}")
        print(f"thread id: {threading.get_ident()}")
        print(f"main thread id: {threading.main_thread().ident}")
        print(f"pid: {os.getpid()}")
        print(f"thread count: {threading.active_count()}")
        print(f"subshell list: {list(self._subshells())}")


def register_kernel_magics(
    shell: Any, connection_file: Path | None, subshells: Callable[[], Sequence[str]]
) -> None:
    """Add the kernel magics to ``shell`` (replacing IPython's terminal ``%edit``)."""
    shell.register_magics(KernelMagics(shell, connection_file, subshells))
    shell.magics_manager.register_alias("ed", "edit")
