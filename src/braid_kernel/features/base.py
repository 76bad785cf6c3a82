"""The one interface through which a feature adds to the kernel: the :class:`Feature` record.

Each ``features/<name>/feature.py`` has a ``build(...)`` function taking, as arguments, the
kernel parts it needs (the cache, the publisher, the shell...) and returning a :class:`Feature`
(or None when the configuration leaves the feature off).  The composition root
(:mod:`braid_kernel.app.root`) builds the features in order and merges what they contribute in one
loop (:func:`merge_into`, :func:`names_of`, :func:`control_handlers_of`,
:func:`kernel_info_features_of`); it never reaches into a feature otherwise, except to compose
the runner chain (cache wraps the host's runner, react wraps cache: an order the root states).

A feature adds only what it declares here.  Removing a feature is removing its folder and its
``build`` line in the root.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from IPython.core.magic import Magics

from braid_kernel.engine.scheduler import Scheduler
from braid_kernel.routing.dispatch import Handler
from braid_kernel.shell.braid_magic import Subcommand
from braid_kernel.shell.ipshell import ZMQInteractiveShell

#: An IPython input transformer: a cell's lines in, its lines out.
Transformer = Callable[[list[str]], list[str]]
#: The names a feature puts in every namespace, bound to that namespace's shell's scheduler.
KernelNames = Callable[[Scheduler], Mapping[str, object]]


@dataclass(frozen=True, slots=True)
class Feature:
    """What one feature adds to the kernel.

    ``subcommands``: ``%braid`` subcommands; ``magics``: IPython ``Magics`` classes (or instances);
    ``cleanup_transformers``: run before IPython looks for magics (first in
    ``input_transformers_cleanup``); ``post_transformers``: run after IPython's own
    (``input_transformers_post``); ``control_handlers``: control-channel requests it answers;
    ``kernel_names``: names put in every namespace (hidden from ``%who``, kept by ``%reset``);
    ``kernel_info_features``: entries of kernel_info's ``supported_features``."""

    name: str
    subcommands: Sequence[Subcommand] = ()
    magics: Sequence[type[Magics] | Magics] = ()
    cleanup_transformers: Sequence[Transformer] = ()
    post_transformers: Sequence[Transformer] = ()
    control_handlers: Mapping[str, Handler] = field(default_factory=dict)
    kernel_names: KernelNames | None = None
    kernel_info_features: Sequence[str] = ()


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
