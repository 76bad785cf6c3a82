"""Dask futures as cancellable work: hooked right after ``distributed.client`` is imported.

``distributed.client.Future.__init__`` is replaced by a stand-in (same name, module, signature:
see :mod:`braid_kernel.engine.standin`) that records each new future; every way a client makes
futures (``submit``, ``map``, ``compute``, ``persist``, ``dask.compute`` on a client) goes
through it.  Cancelling asks the future's own client, on the client's loop (thread-safe, never
waiting for the scheduler), as ``client.cancel(futures)`` would.
"""

from __future__ import annotations

import inspect
import logging
from functools import partial
from types import ModuleType
from typing import Any

from braid_kernel.engine.import_hooks import AfterImport
from braid_kernel.engine.standin import stand_in
from braid_kernel.features.distributed.engine.work import Record

log = logging.getLogger("braid_kernel")

MODULE = "distributed.client"


class DaskFutures:
    """The :class:`~.work.WorkKind` of Dask futures."""

    name = "dask"

    def __init__(self) -> None:
        self._hook: AfterImport | None = None
        self._patched: tuple[type, Any, Any] | None = None  # (Future, original, ours)

    def install(self, record: Record) -> None:
        def patch(module: ModuleType) -> None:
            future_class: type = module.Future
            original = vars(future_class)["__init__"]

            @stand_in(original)
            def __init__(future: Any, *args: Any, **kwargs: Any) -> None:
                original(future, *args, **kwargs)
                record(self, future)

            future_class.__init__ = __init__  # type: ignore[misc]
            self._patched = (future_class, original, __init__)

        self._hook = AfterImport(MODULE, patch)
        self._hook.install()

    def uninstall(self) -> None:
        if self._hook is not None:
            self._hook.uninstall()
        if self._patched is not None:
            future_class, original, ours = self._patched
            if vars(future_class).get("__init__") is ours:  # another hook may sit on top
                future_class.__init__ = original  # type: ignore[misc]
            self._patched = None

    def pending(self, item: object) -> bool:
        return getattr(item, "status", None) == "pending"

    def cancel(self, items: list[object], reason: str) -> None:
        by_client: dict[int, tuple[Any, list[object]]] = {}
        for future in items:
            client = getattr(future, "client", None)
            if client is not None:
                by_client.setdefault(id(client), (client, []))[1].append(future)
        for client, futures in by_client.values():
            loop = client.loop
            if loop is None:  # a closed client: its futures are gone with it
                continue
            options: dict[str, Any] = {"asynchronous": True}
            if "reason" in inspect.signature(client.cancel).parameters:  # distributed >= 2024.x
                options["reason"] = reason
            # On the client's loop: an asynchronous cancel is a coroutine that loop runs.
            loop.add_callback(partial(client.cancel, futures, **options))
