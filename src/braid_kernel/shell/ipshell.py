"""The IPython shell inside the kernel.

:class:`ZMQInteractiveShell` is IPython's ``InteractiveShell`` with the few methods
IPython leaves to a frontend filled in: what ``exit`` does, where
``set_next_input`` and tracebacks of magics go, and which GUI event loops
exist (asked of its :class:`GuiPolicy`, the gui feature's).  Everything else
(magics, ``!cmd``, history, completion, inspection) is IPython's own.

The class bears the name of ipykernel's shell on purpose: libraries decide whether they run in a
Jupyter kernel (HTML instead of ANSI output, widgets instead of text) by testing
``get_ipython().__class__.__name__ == "ZMQInteractiveShell"`` (rich, and the common
``is_notebook()`` helper), and IPython profiles written for ipykernel configure the kernel's shell
through the ``c.ZMQInteractiveShell`` section.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Protocol

from IPython.core.autocall import ZMQExitAutocall
from IPython.core.interactiveshell import InteractiveShell
from traitlets import default

from braid_kernel.engine.cell import current_cell
from braid_kernel.errors import UnavailableHere
from braid_kernel.routing import platform
from braid_kernel.routing.context import current_request
from braid_kernel.routing.publisher import Publisher
from braid_kernel.shell.braid_magic import BraidCommands
from braid_kernel.shell.history import KernelHistoryManager
from braid_kernel.shell.namespaces import active_namespace
from braid_kernel.shell.tracebacks import guard_formatter, shown_tracebacks

if TYPE_CHECKING:
    from IPython.core.completer import IPCompleter

#: What child processes (``!cmd``, ``subprocess``) find in their environment, as under ipykernel:
#: output has no terminal behind it, so pagers are off (``!git log`` would wait in ``less``) and
#: tools that can colour are told to.
CHILD_ENVIRONMENT = {
    "TERM": "xterm-color",
    "CLICOLOR": "1",
    "CLICOLOR_FORCE": "1",
    "FORCE_COLOR": "1",
    "PAGER": "cat",
    "GIT_PAGER": "cat",
}


class GuiPolicy(Protocol):
    """Which GUI event loops ``%gui`` and ``%matplotlib`` may switch to: each check raises
    (``RuntimeError``, with what to do instead) for one this kernel does not run."""

    def check_gui(self, gui: str | None) -> None: ...

    def check_matplotlib(self, gui: str | None, selected: str | None) -> None:
        """``selected``: IPython's ``pylab_gui_select`` (the backend ``%matplotlib`` alone picks)."""
        ...


class ZMQInteractiveShell(InteractiveShell):  # type: ignore[misc]
    """InteractiveShell for a kernel: payloads instead of terminal actions (named as
    ipykernel's, see the module docstring)."""

    publisher: Publisher | None = None
    kernel: Any = None  # a facade for libraries that look for get_ipython().kernel
    _main_hidden: dict[str, Any]
    _main_completer: IPCompleter

    # The namespaces IPython's code reads follow the active isolated subshell
    # namespace, if any (see shell/namespaces.py); otherwise they are the main
    # shell's, exactly as IPython made them.
    @property
    def user_ns(self) -> dict[str, Any]:
        isolated = active_namespace.get()
        return isolated.user_ns if isolated is not None else self._user_ns

    @user_ns.setter
    def user_ns(self, ns: dict[str, Any]) -> None:
        if not isinstance(ns, dict):
            raise TypeError(f"user_ns must be a dict, not {type(ns).__name__}")
        isolated = active_namespace.get()
        if isolated is not None:
            isolated.user_ns = ns
        else:
            self._user_ns = ns

    @property
    def user_global_ns(self) -> dict[str, Any]:
        isolated = active_namespace.get()
        if isolated is not None:
            return isolated.user_ns
        ns: dict[str, Any] = self.user_module.__dict__
        return ns

    @property
    def user_ns_hidden(self) -> dict[str, Any]:
        isolated = active_namespace.get()
        return isolated.hidden if isolated is not None else self._main_hidden

    @user_ns_hidden.setter
    def user_ns_hidden(self, hidden: dict[str, Any]) -> None:
        isolated = active_namespace.get()
        if isolated is not None:
            isolated.hidden = hidden
        else:
            self._main_hidden = hidden

    @property
    def Completer(self) -> IPCompleter:  # IPython's attribute name
        isolated = active_namespace.get()
        return isolated.completer() if isolated is not None else self._main_completer

    @Completer.setter
    def Completer(self, completer: IPCompleter) -> None:
        self._main_completer = completer

    @property
    def main_completer(self) -> IPCompleter:
        """The main namespace's completer (whatever namespace is active)."""
        return self._main_completer

    def reset(self, new_session: bool = True, aggressive: bool = False) -> None:
        """``%reset``: in an isolated subshell, empty that namespace and its
        history only (IPython's own reset also resets the main history)."""
        isolated = active_namespace.get()
        if isolated is None:
            super().reset(new_session, aggressive)
            return
        self.displayhook.flush()
        isolated.reset()

    braid: BraidCommands | None = None  # the %braid subcommands (see shell.braid_magic)

    def get_parent(self) -> dict[str, Any]:
        """The message the calling code runs for, as ipykernel's shell answers (ipywidgets'
        ``Output`` asks); empty outside any request."""
        request = current_request.get()
        return {} if request is None else request.msg.as_dict()

    @property
    def parent_header(self) -> dict[str, Any]:
        """ipykernel's name for :meth:`get_parent` (code publishing through ``kernel.session``)."""
        return self.get_parent()

    gui_policy: GuiPolicy | None = None  # what %gui / %matplotlib may use (the gui feature's)

    def init_traceback_handlers(self, custom_exceptions: Any) -> None:
        super().init_traceback_handlers(custom_exceptions)
        guard_formatter(self.InteractiveTB)  # a failing formatter still shows the user's error

    def init_environment(self) -> None:
        """IPython's hook for the user's environment: see :data:`CHILD_ENVIRONMENT` (process-wide)."""
        os.environ.update(CHILD_ENVIRONMENT)

    def init_history(self) -> None:
        """IPython's history, written without blocking cells (see :mod:`braid_kernel.shell.history`)."""
        self.history_manager = KernelHistoryManager(shell=self, parent=self)
        self.configurables.append(self.history_manager)

    def enable_gui(self, gui: str | None = None) -> None:
        """Called by ``%gui`` and ``%matplotlib``: the loop is fixed at startup, so this only
        checks ``gui`` against it (:attr:`gui_policy`; without one, IPython's refusal)."""
        if self.gui_policy is None:
            super().enable_gui(gui)
            return
        self.gui_policy.check_gui(gui)

    def enable_matplotlib(self, gui: str | None = None) -> Any:
        """``%matplotlib GUI``: checked against the kernel's GUI loop before switching."""
        if self.gui_policy is not None:
            self.gui_policy.check_matplotlib(gui, self.pylab_gui_select)
        return super().enable_matplotlib(gui)

    keepkernel_on_exit = False  # set by exit(keep_kernel=...) just before it calls ask_exit

    @default("exiter")
    def _exiter_default(self) -> ZMQExitAutocall:
        """``exit``/``quit`` take ``keep_kernel=True`` as in ipykernel (IPython's kernel flavour)."""
        return ZMQExitAutocall(self)

    def ask_exit(self) -> None:
        """``exit``/``quit``: ask the frontend to close (kernel keeps running)."""
        cell = current_cell.get()
        if cell is not None:
            cell.add_payload({"source": "ask_exit", "keepkernel": bool(self.keepkernel_on_exit)})

    def set_next_input(self, s: str, replace: bool = False) -> None:
        cell = current_cell.get()
        if cell is not None:
            cell.add_payload({"source": "set_next_input", "text": s, "replace": bool(replace)})

    if not platform.CAN_START_PROCESSES:  # elsewhere IPython's own, untouched (its var_expand
        # counts stack frames, so a wrapper around them would expand {names} in the wrong frame)

        def system(self, cmd: str) -> None:
            """``!cmd`` where no process can start (Pyodide): an error that says so."""
            raise UnavailableHere(f"!{cmd} is unavailable: {platform.NO_PROCESSES}")

        def getoutput(self, cmd: str, split: bool = True, depth: int = 0) -> Any:
            """``x = !cmd`` where no process can start: the same error as :meth:`system`."""
            raise UnavailableHere(f"!{cmd} is unavailable: {platform.NO_PROCESSES}")

    def _showtraceback(self, etype: type[BaseException], evalue: BaseException, stb: list[str]) -> None:
        """Tracebacks shown by magics and formatters go out as ``error`` messages
        (and a cell's own into its reply, see :mod:`braid_kernel.shell.tracebacks`)."""
        shown = shown_tracebacks.get()
        if shown is not None:
            shown.append(list(stb))
        if self.publisher is None:
            super()._showtraceback(etype, evalue, stb)
            return
        self.publisher.iopub("error", {"ename": etype.__name__, "evalue": str(evalue), "traceback": stb})
