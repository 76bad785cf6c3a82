"""The one interface through which a feature adds to the kernel: the :class:`Feature` record.

Each ``features/<name>/feature.py`` has a ``build(...)`` function taking, as arguments, the
kernel parts it needs (the cache, the publisher, the shell...) and returning a :class:`Feature`
(or None when the configuration leaves the feature off).  The composition root
(:mod:`braid_kernel.app.root`) builds the features in order and merges what they contribute in one
loop (:func:`merge_into`, :func:`names_of`, :func:`control_handlers_of`,
:func:`kernel_info_features_of`, :func:`sessions_of`...); it never reaches into a feature
otherwise.

What a feature may add, beyond magics and handlers, is what every shell is made of:

* a **runner layer** (:data:`RunnerLayer`): wraps the runner of every shell's engine (cache mode
  wraps the host's runner, reactive mode wraps that: the first feature's layer is the outermost);
* a **shell part** (:data:`PartOfShell`): what the feature keeps for one serving shell (the main
  shell, each multi-mode session) — comm targets answered from that shell's engine, and what to do
  when a session is reset, named or freed;
* a **comm scope** and a **session router** (:class:`Sessions`, multi mode): the main shell's
  session requests routed to a shell per client.

A feature adds only what it declares here.  Removing a feature is removing its folder and its
``build`` line in the root.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ParamSpec, Protocol, TypeVar

from comm.base_comm import BaseComm
from IPython.core.magic import Magics

from braid_kernel.engine.cell import Cell
from braid_kernel.engine.cellfiles import CellFiles
from braid_kernel.engine.execute import ExecuteHandler
from braid_kernel.engine.modes import WakeupHook
from braid_kernel.engine.runner import CellRunner
from braid_kernel.engine.scheduler import Ending, Scheduler
from braid_kernel.integrations.comms import CommScope, CommService
from braid_kernel.routing.context import Request
from braid_kernel.routing.dispatch import Handler
from braid_kernel.shell.braid_magic import Subcommand
from braid_kernel.shell.host import IPythonHost
from braid_kernel.shell.ipshell import ZMQInteractiveShell
from braid_kernel.shell.requests import ShellRequests

P = ParamSpec("P")
T = TypeVar("T")

#: An IPython input transformer: a cell's lines in, its lines out.
Transformer = Callable[[list[str]], list[str]]
#: The names a feature puts in every namespace, bound to that namespace's shell's scheduler.
KernelNames = Callable[[Scheduler], Mapping[str, object]]
#: Wraps a shell's runner: ``layer(inner, session)``; ``session`` is the multi-mode client id the
#: shell serves (None: a shell of the whole kernel, the main shell or a subshell).
RunnerLayer = Callable[[CellRunner, "str | None"], CellRunner]
#: Starts ``job()`` as a task of a serving shell, from any thread, in the caller's context.
Starter = Callable[[Callable[[], Coroutine[Any, Any, object]]], None]
#: A comm target's callback: the comm the frontend opened and its comm_open message.
CommOpened = Callable[[BaseComm, dict[str, Any]], None]


@dataclass(frozen=True, slots=True)
class ShellPart:
    """What a feature keeps for one serving shell (the main shell, a multi-mode session).

    ``comm_targets``: comm targets answered from this shell (registered on the kernel's comm
    manager for the main shell; a multi-mode session answers the comms its client opens);
    ``reset``: ``%braid session reset``; ``named``: ``%braid session name NAME``; ``close``: the
    session is freed."""

    comm_targets: Mapping[str, CommOpened] = field(default_factory=dict)
    reset: Callable[[], None] | None = None
    named: Callable[[str], None] | None = None
    close: Callable[[], None] | None = None


@dataclass(frozen=True, slots=True)
class ProcessPatch:
    """A process-wide change a feature needs (Dask's ``Future``): made by ``install``, undone by
    ``uninstall``, both called by :mod:`braid_kernel.process_hooks` with the kernel's others."""

    name: str
    install: Callable[[], object]
    uninstall: Callable[[], object]


#: Runs the main shell's ``main()`` on the main thread inside a loop the feature owns (the gui
#: feature's toolkit loop), until it returns: ``host(main, wakeup)``, ``wakeup(fd)`` making the hook
#: that points the signal wake-up fd at ``fd`` while the loop runs.
MainLoopHost = Callable[[Callable[[], Awaitable[None]], Callable[[int], WakeupHook]], None]


#: A feature's part of a serving shell, made from its scheduler (whose runner went through the
#: runner layers) and a :data:`Starter` for that shell's tasks.
PartOfShell = Callable[[Scheduler, Starter], ShellPart]


class EngineFactory(Protocol):
    """How the kernel makes a shell's engine (:class:`braid_kernel.app.engines.Engines`)."""

    def build_isolated(
        self, host: IPythonHost, session: str | None = None
    ) -> tuple[Scheduler, ExecuteHandler]:
        """A scheduler and execute handler running cells on ``host`` (the kernel's names in its
        own namespace, if it has one); ``session``: see :data:`RunnerLayer`."""
        ...

    def parts(self, scheduler: Scheduler, start: Starter) -> list[ShellPart]:
        """The features' parts of a shell serving with ``scheduler``."""
        ...


@dataclass(frozen=True, slots=True)
class SessionKit:
    """What multi mode's session router is built from: the kernel's shell, its requests and
    comms, and its recipe for engines."""

    shell: ZMQInteractiveShell
    cell_files: CellFiles
    requests: ShellRequests
    comms: CommService
    engines: EngineFactory


class RoutedSession(Protocol):
    """One client's shell inside a multi-mode kernel, as an interrupt reaches it."""

    @property
    def scheduler(self) -> Scheduler: ...

    @property
    def user_ns(self) -> dict[str, Any]: ...


class Sessions(Protocol):
    """Multi mode: the main shell serves its session requests through this, each in the shell of
    the client that sent it (the main shell then builds no engine of its own)."""

    def handlers(self) -> dict[str, Handler]:
        """The main shell's handlers for the requests that belong to a session."""
        ...

    def lookup(self, request: Request) -> RoutedSession | None:
        """The sender's session, if it has one (any thread)."""
        ...

    def interrupt_everyone(self, at: float) -> None:
        """Cancel every session's awaiting cells whose requests arrived by ``at`` (main loop)."""
        ...

    async def serve_background(self) -> None:
        """The sessions' own work while the main shell serves (a task of it, until cancelled)."""
        ...


@dataclass(frozen=True, slots=True)
class Feature:
    """What one feature adds to the kernel.

    ``subcommands``: ``%braid`` subcommands; ``magics``: IPython ``Magics`` classes (or instances);
    ``cleanup_transformers``: run before IPython looks for magics (first in
    ``input_transformers_cleanup``); ``post_transformers``: run after IPython's own
    (``input_transformers_post``); ``control_handlers``: control-channel requests it answers;
    ``kernel_names``: names put in every namespace (hidden from ``%who``, kept by ``%reset``);
    ``kernel_info_features``: entries of kernel_info's ``supported_features``;
    ``runner``: the layer it wraps around every shell's runner; ``shell_part``: what it keeps for
    each serving shell; ``comm_scope`` and ``sessions``: multi mode's (whose comms the running
    code uses; the router of the main shell's session requests); ``interrupt``: called on every
    interrupt_request not for one session, with the time it arrived; ``own_thread``: told of each
    thread of the kernel's own machinery; ``close``: after the main shell stopped;
    ``cell_ended``: told how each cell of every shell ended; ``patches``: process-wide changes,
    installed and removed with the kernel's process hooks; ``main_loop``: the loop that hosts the
    main shell's (at most one feature's: the GUI loop), None to let the backend run it."""

    name: str
    subcommands: Sequence[Subcommand] = ()
    magics: Sequence[type[Magics] | Magics] = ()
    cleanup_transformers: Sequence[Transformer] = ()
    post_transformers: Sequence[Transformer] = ()
    control_handlers: Mapping[str, Handler] = field(default_factory=dict)
    kernel_names: KernelNames | None = None
    kernel_info_features: Sequence[str] = ()
    runner: RunnerLayer | None = None
    shell_part: PartOfShell | None = None
    comm_scope: CommScope | None = None
    sessions: Callable[[SessionKit], Sessions] | None = None
    interrupt: Callable[[float], None] | None = None
    own_thread: Callable[[threading.Thread], None] | None = None
    close: Callable[[], None] | None = None
    cell_ended: Callable[[Cell, Ending], None] | None = None
    patches: Sequence[ProcessPatch] = ()
    main_loop: MainLoopHost | None = None


def merge_into(shell: ZMQInteractiveShell, features: Iterable[Feature]) -> None:
    """Register every feature's subcommands, magics and input transformers on ``shell``."""
    for feature in features:
        if shell.braid is not None:  # the %braid magic, made by build_shell
            for sub in feature.subcommands:
                shell.braid.add(sub.name, sub.handler, sub.usage, sub.summary)
        for magics in feature.magics:
            shell.register_magics(magics)
        shell.input_transformers_cleanup[:0] = feature.cleanup_transformers
        shell.input_transformers_post.extend(feature.post_transformers)


def names_of(features: Sequence[Feature]) -> KernelNames:
    """The kernel names of every feature, as one function of a shell's scheduler."""
    contributions = [f.kernel_names for f in features if f.kernel_names is not None]

    def names(scheduler: Scheduler) -> dict[str, object]:
        merged: dict[str, object] = {}
        for contribute in contributions:
            merged.update(contribute(scheduler))
        return merged

    return names


def control_handlers_of(features: Iterable[Feature]) -> dict[str, Handler]:
    return {msg_type: handler for f in features for msg_type, handler in f.control_handlers.items()}


def kernel_info_features_of(features: Iterable[Feature]) -> list[str]:
    return [name for f in features for name in f.kernel_info_features]


def runner_layers_of(features: Iterable[Feature]) -> list[RunnerLayer]:
    """The features' runner layers, outermost first (the features' order)."""
    return [f.runner for f in features if f.runner is not None]


def shell_parts_of(features: Iterable[Feature]) -> list[PartOfShell]:
    return [f.shell_part for f in features if f.shell_part is not None]


def comm_scope_of(features: Iterable[Feature]) -> CommScope | None:
    """The one comm scope a feature gives (multi mode's), or None."""
    return _at_most_one([f.comm_scope for f in features if f.comm_scope is not None], "scope the comms")


def sessions_of(features: Iterable[Feature], kit: SessionKit) -> Sessions | None:
    """The session router a feature builds from ``kit`` (multi mode's), or None."""
    router = _at_most_one([f.sessions for f in features if f.sessions is not None], "route the sessions")
    return router(kit) if router is not None else None


def interrupt_of(features: Iterable[Feature]) -> Callable[[float], None]:
    """Every feature's ``interrupt``, as one function."""
    return _each([f.interrupt for f in features if f.interrupt is not None])


def own_thread_of(features: Iterable[Feature]) -> Callable[[threading.Thread], None]:
    """Every feature's ``own_thread``, as one function."""
    return _each([f.own_thread for f in features if f.own_thread is not None])


def cell_ended_of(features: Iterable[Feature]) -> Callable[[Cell, Ending], None]:
    """Every feature's ``cell_ended``, as one function."""
    return _each([f.cell_ended for f in features if f.cell_ended is not None])


def patches_of(features: Iterable[Feature]) -> list[ProcessPatch]:
    return [patch for f in features for patch in f.patches]


def main_loop_of(features: Iterable[Feature]) -> MainLoopHost | None:
    """The one feature's host of the main loop, or None (ValueError when two give one)."""
    return _at_most_one([f.main_loop for f in features if f.main_loop is not None], "host the main loop")


def close_of(features: Iterable[Feature]) -> Callable[[], None]:
    """Every feature's ``close``, in the features' order, as one function."""
    return _each([f.close for f in features if f.close is not None])


def _each(hooks: Sequence[Callable[P, object]]) -> Callable[P, None]:
    """``hooks`` as one function that calls each of them, in order, with its arguments."""

    def call_each(*args: P.args, **kwargs: P.kwargs) -> None:
        for hook in hooks:
            hook(*args, **kwargs)

    return call_each


def _at_most_one(given: Sequence[T], what: str) -> T | None:
    """The one thing a feature gives, or None; ValueError when two features give one."""
    if len(given) > 1:
        raise ValueError(f"two features {what}")
    return given[0] if given else None
