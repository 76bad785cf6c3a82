"""Every process-wide patch the kernel makes, installed and removed together.

A kernel replaces things the whole interpreter shares: ``sys.stdout``/``sys.stderr`` (cell output
goes to the cell that wrote it), ``input``/``getpass`` (asked through the frontend),
``threading.Thread.start`` and ``ThreadPoolExecutor.submit`` (threads inherit their cell's
context), the ``comm`` package's factories (widgets), ``sys.displayhook`` and the builtins
IPython adds (``display``, ``get_ipython``, ``exit``...), ``pdb.Pdb``/``pdb.set_trace`` (IPython's
debugger, right after something imports ``pdb``: :class:`OnImport`), two import hooks
(``tqdm.auto`` sees a notebook; Dask's ``Future`` records the cell that made it, once the user
imports ``distributed``) and, in a kernel process, file descriptors
1 and 2 (:class:`CapturedFds`: output written below Python goes to the cells), the SIGINT
handler, ``time.sleep`` (interruptible in subshells) and the GIL switch interval.
:func:`kernel_hooks` lists them all, in the order they are installed; :class:`ProcessHooks`
installs them together and :meth:`ProcessHooks.uninstall` puts every original back (a kernel
does so when it ends: an in-process kernel when it exits, a kernel process once its shells have
stopped).  Each replaced function passes for the original where
code can tell (name, signature, pickled by reference: :mod:`braid_kernel.engine.standin`).

What code the kernel runs changes as a side effect — IPython's shell constructor puts its user
module in ``sys.modules["__main__"]``, the kernel's shell sets environment variables for child
processes — is recorded before that code runs (:class:`Preserved`) and put back with the rest.

The signal wake-up fd is set here too (:class:`WakeupFd`), but installed by the code that runs
the event loop whose wake-up it is, for as long as the loop runs (:mod:`braid_kernel.app.loops`,
:mod:`braid_kernel.features.gui.engine`, given :class:`WakeupFd` as its way to set it).
"""

from __future__ import annotations

import builtins
import getpass
import io
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from types import ModuleType
from typing import Any, Protocol, TextIO

import comm

from braid_kernel.engine.fdcapture import FdCapture
from braid_kernel.engine.import_hooks import AfterImport
from braid_kernel.engine.interrupt import WAKE_SIGNAL, Interrupter
from braid_kernel.engine.stdin import CellInput
from braid_kernel.engine.threadinterrupt import ThreadInterrupts
from braid_kernel.engine.threads import context_start, context_submit
from braid_kernel.features.base import ProcessPatch
from braid_kernel.integrations.comms import CommService
from braid_kernel.integrations.detection import jupyter_detection

__all__ = (
    "CapturedFds",
    "Hook",
    "OnImport",
    "Preserved",
    "ProcessHooks",
    "Replace",
    "WakeupFd",
    "kernel_hooks",
)

log = logging.getLogger("braid_kernel")

_MISSING = object()


class Hook(Protocol):
    """One process-wide change: made by ``install``, undone by ``uninstall``."""

    def install(self) -> None: ...

    def uninstall(self) -> None: ...


class Replace:
    """``owner.name = value`` while installed; the original (or its absence) back on uninstall."""

    def __init__(self, owner: object, name: str, value: object) -> None:
        self.owner, self.name, self.value = owner, name, value
        self._original: object = _MISSING

    def install(self) -> None:
        self._original = getattr(self.owner, self.name, _MISSING)
        setattr(self.owner, self.name, self.value)

    def uninstall(self) -> None:
        if self._original is _MISSING:
            if hasattr(self.owner, self.name):
                delattr(self.owner, self.name)
        else:
            setattr(self.owner, self.name, self._original)
        self._original = _MISSING

    def __repr__(self) -> str:
        owner = getattr(self.owner, "__name__", type(self.owner).__name__)
        return f"Replace({owner}.{self.name})"


class OnImport:
    """Hooks on a module the kernel does not import itself (``pdb``: a kernel that never debugs
    never loads it), installed right after the module's code first runs, before its importer gets
    it (at once when it is already imported).  ``hooks(module)`` makes them.  Uninstalling this
    undoes them or, the module never imported, takes the import watch (an
    :class:`~braid_kernel.engine.import_hooks.AfterImport`) out of ``sys.meta_path``.

    ``after``: modules whose code imports ``name`` and that making the hooks needs complete (the
    kernel's debugger class derives from IPython's, whose module imports ``pdb`` before it defines
    it).  When ``name`` is imported by one of them, the hooks wait until that module has run; the
    importer then sees the originals, as it expects to.  Each install watches afresh."""

    def __init__(
        self, name: str, hooks: Callable[[ModuleType], Sequence[Hook]], after: Sequence[str] = ()
    ) -> None:
        self.name, self.after = name, tuple(after)
        self._hooks = hooks
        self._lock = threading.RLock()  # re-entered: making the hooks may import an ``after`` module
        self._watches: list[AfterImport] = []
        self._imported: set[str] = set()  # the watched modules that have run
        self._installed: list[Hook] | None = None  # None: not yet (being) installed

    def install(self) -> None:
        with self._lock:
            self._imported.clear()
            self._watches = [AfterImport(name, self._ran) for name in (*self.after, self.name)]
            for watch in self._watches:
                watch.install()  # at once for a module already imported

    def uninstall(self) -> None:
        with self._lock:
            for watch in self._watches:
                watch.uninstall()
            self._watches = []
            installed, self._installed = self._installed or [], None
            for hook in reversed(installed):
                hook.uninstall()

    def _ran(self, module: ModuleType) -> None:
        with self._lock:
            self._imported.add(module.__name__)
            if self._installed is not None or self.name not in self._imported or not self._watches:
                return
            if any(name in sys.modules and name not in self._imported for name in self.after):
                return  # ``name`` imported by an ``after`` module still running: its end installs
            self._installed = []
            for hook in self._hooks(sys.modules.get(self.name, module)):
                hook.install()
                self._installed.append(hook)

    def __repr__(self) -> str:
        return f"OnImport({self.name})"


class Calls:
    """A change made and undone by two calls (IPython's traps: ``activate``/``deactivate``)."""

    def __init__(self, name: str, install: Callable[[], object], uninstall: Callable[[], object]) -> None:
        self.name = name
        self._install, self._uninstall = install, uninstall

    def install(self) -> None:
        self._install()

    def uninstall(self) -> None:
        self._uninstall()

    def __repr__(self) -> str:
        return f"Calls({self.name})"


class Preserved:
    """``sys.modules["__main__"]``, the builtins and the environment variables ``keys``, as they
    are when this is constructed (before the kernel's shell exists: IPython's constructor adds
    ``display`` and ``__IPYTHON__`` to the builtins); put back on uninstall."""

    def __init__(self, keys: Iterable[str]) -> None:
        self._main: ModuleType | None = sys.modules.get("__main__")
        self._builtins = dict(vars(builtins))
        self._environ = {key: os.environ.get(key) for key in keys}

    def install(self) -> None:
        """Nothing: what this keeps was recorded when it was made."""

    def uninstall(self) -> None:
        if self._main is not None:
            sys.modules["__main__"] = self._main
        names = vars(builtins)
        for name in set(names) - set(self._builtins):
            del names[name]
        names.update(self._builtins)
        for key, value in self._environ.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    def __repr__(self) -> str:
        return f"Preserved(__main__, {sorted(self._environ)})"


class SigintHandler:
    """The kernel's SIGINT handler and its wake-up signal's
    (:class:`~braid_kernel.engine.interrupt.Interrupter`); the previous handlers back on
    uninstall.  Main thread only, as ``signal.signal``."""

    def __init__(self, interrupter: Interrupter) -> None:
        self._interrupter = interrupter
        self._previous: dict[int, Any] = {}

    def install(self) -> None:
        self._previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, WAKE_SIGNAL)}
        self._interrupter.install()

    def uninstall(self) -> None:
        for sig, handler in self._previous.items():
            if handler is not None:
                signal.signal(sig, handler)
        self._previous = {}


class CapturedFds:
    """A kernel process's capture of file descriptors 1 and 2
    (:class:`~braid_kernel.engine.fdcapture.FdCapture`: pipes read by a thread, whose text goes
    to the running cell), with the kernel's own log handlers moved to ``log_stream`` (the original
    stderr) while installed; ``own_thread`` is told of the reader thread (kernel machinery).  The
    original descriptors and handler streams back on uninstall."""

    def __init__(
        self, capture: FdCapture, log_stream: TextIO, own_thread: Callable[[threading.Thread], None]
    ) -> None:
        self._capture = capture
        self._log_stream = log_stream
        self._own_thread = own_thread
        self._moved: list[tuple[logging.StreamHandler[Any], Any]] = []

    def install(self) -> None:
        self._capture.install()
        if self._capture.thread is not None:
            self._own_thread(self._capture.thread)
        for handler in logging.getLogger("braid_kernel").handlers:
            if isinstance(handler, logging.StreamHandler) and handler.stream in (sys.__stderr__, sys.stderr):
                self._moved.append((handler, handler.setStream(self._log_stream)))

    def uninstall(self) -> None:
        while self._moved:
            handler, stream = self._moved.pop()
            handler.setStream(stream)
        self._capture.uninstall()

    def __repr__(self) -> str:
        return "CapturedFds(1, 2)"


class WakeupFd:
    """``signal.set_wakeup_fd(fd)``: a signal writes a byte to ``fd``, waking the event loop that
    watches it (so the handler runs at once, even when the signal landed on another thread); the
    previous wake-up fd back on uninstall.  Main thread only, as ``signal.set_wakeup_fd``."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._previous: int | None = None

    def install(self) -> None:
        self._previous = signal.set_wakeup_fd(self._fd, warn_on_full_buffer=False)

    def uninstall(self) -> None:
        if self._previous is not None:
            signal.set_wakeup_fd(self._previous)
        self._previous = None

    def __repr__(self) -> str:
        return f"WakeupFd({self._fd})"


class SwitchInterval:
    """``sys.setswitchinterval(seconds)``: a cell spinning in pure Python holds the GIL, and every
    time the I/O thread needs it back it waits for the switch interval."""

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds
        self._previous: float | None = None

    def install(self) -> None:
        self._previous = sys.getswitchinterval()
        sys.setswitchinterval(self._seconds)

    def uninstall(self) -> None:
        if self._previous is not None:
            sys.setswitchinterval(self._previous)
        self._previous = None


class ProcessHooks:
    """Installs ``hooks`` in order and uninstalls them in reverse order, together."""

    def __init__(self, hooks: Sequence[Hook]) -> None:
        self.hooks = tuple(hooks)
        self._installed = 0

    def install(self) -> None:
        """Install every hook; if one fails, undo the ones installed before it and raise."""
        try:
            for hook in self.hooks[self._installed :]:
                hook.install()
                self._installed += 1
        except BaseException:
            self.uninstall()
            raise

    def uninstall(self) -> None:
        """Put every original back (a hook that fails to is logged; the others still are)."""
        while self._installed:
            self._installed -= 1
            hook = self.hooks[self._installed]
            try:
                hook.uninstall()
            except Exception:
                log.warning("could not undo %r", hook, exc_info=True)


class DisplayTrap(Protocol):
    """IPython's ``DisplayTrap`` (``shell.display_trap``): sets ``sys.displayhook`` while entered."""

    def __enter__(self) -> object: ...

    def __exit__(self, *exc: object) -> object: ...


class BuiltinTrap(Protocol):
    """IPython's ``BuiltinTrap`` (``shell.builtin_trap``): adds IPython's builtins while active."""

    def activate(self) -> None: ...

    def deactivate(self) -> None: ...


def kernel_hooks(
    *,
    streams: tuple[io.TextIOBase, io.TextIOBase],
    cell_input: CellInput,
    comms: CommService,
    display_trap: DisplayTrap,
    builtin_trap: BuiltinTrap,
    debugger: tuple[Callable[[], type[Any]], Callable[..., None]],
    patches: Sequence[ProcessPatch] = (),
    interrupter: Interrupter | None = None,
    thread_interrupts: ThreadInterrupts | None = None,
    switch_interval: float | None = None,
    preserved: Preserved | None = None,
    captured_fds: CapturedFds | None = None,
) -> ProcessHooks:
    """Every patch of a kernel, in order: ``streams``, the new ``sys.stdout``/``sys.stderr``;
    ``debugger``: what makes ``pdb.Pdb`` (on first use: the class is IPython's debugger's) and
    what ``pdb.set_trace`` becomes, once ``pdb`` is imported; ``patches``: the features' (the
    distributed work's library hooks: an import hook, then Dask's ``Future``); ``interrupter``,
    ``thread_interrupts`` and ``switch_interval``: a kernel process's (an in-process kernel
    leaves SIGINT, ``time.sleep`` and the GIL to its host); ``preserved``: what the kernel's
    construction changed, recorded before it (an in-process kernel); ``captured_fds``: a kernel
    process's capture of fds 1 and 2 (first: the streams' fallbacks are its originals)."""
    ask, ask_password = cell_input.functions()
    create_comm, get_comm_manager = comms.factories()
    pdb_class, set_trace = debugger
    hooks: list[Hook] = [] if preserved is None else [preserved]
    if captured_fds is not None:
        hooks.append(captured_fds)
    hooks += [
        Replace(sys, "stdout", streams[0]),
        Replace(sys, "stderr", streams[1]),
        Replace(builtins, "input", ask),
        Replace(getpass, "getpass", ask_password),
        Replace(threading.Thread, "start", context_start(threading.Thread.start)),
        Replace(ThreadPoolExecutor, "submit", context_submit(ThreadPoolExecutor.submit)),
        Replace(comm, "create_comm", create_comm),
        Replace(comm, "get_comm_manager", get_comm_manager),
        Calls("sys.displayhook", display_trap.__enter__, lambda: display_trap.__exit__(None, None, None)),
        Calls("IPython's builtins", builtin_trap.activate, builtin_trap.deactivate),
        # The kernel's debugger class derives from IPython's, whose module imports pdb itself.
        OnImport(
            "pdb",
            lambda pdb: [Replace(pdb, "Pdb", pdb_class()), Replace(pdb, "set_trace", set_trace)],
            after=("IPython.core.debugger",),
        ),
    ]
    trigger = jupyter_detection()  # tqdm.auto: widget progress bars
    if trigger is not None:
        hooks.append(trigger)
    hooks += [Calls(patch.name, patch.install, patch.uninstall) for patch in patches]
    if interrupter is not None:
        hooks.append(SigintHandler(interrupter))
    if thread_interrupts is not None:
        hooks.append(thread_interrupts)  # time.sleep
    if switch_interval is not None:
        hooks.append(SwitchInterval(switch_interval))
    return ProcessHooks(hooks)
