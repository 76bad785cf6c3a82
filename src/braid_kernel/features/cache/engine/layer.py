"""Cache mode's place in every shell's runner chain, without the cache engine until it is used.

Cache mode can be switched on at run time, so every shell's runner chain has a
:class:`CacheLayer`; but a kernel that never caches should not load the cache engine (keys,
fingerprints, recordings, entries, the store).  Its on/off state and scope live in a
:class:`CacheSwitch` until the :class:`~.cache.CellCache` is first needed (cache mode on, or
``%braid cache info|clear``); while cache mode is off the layer passes cells straight to its
inner runner, and the first cell run with cache mode on builds the
:class:`~.runner.CachingRunner`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import anyio

from braid_kernel.engine.cell import Cell, Outcome
from braid_kernel.engine.runner import CellRunner

if TYPE_CHECKING:
    from braid_kernel.features.cache.engine.cache import CellCache
    from braid_kernel.features.cache.engine.runner import CachingRunner


class CacheSwitch:
    """One cell cache (the kernel's, or a multi-mode session's): on or off, its scope, and the
    :class:`~.cache.CellCache` itself, made by ``make`` when first asked for (the state so far
    passed on to it, which holds it from then on).  The shells of the whole kernel (the main
    shell, the subshells, each on its own thread) share the kernel's switch."""

    def __init__(self, make: Callable[[], CellCache], *, enabled: bool, scope: str = "") -> None:
        self._make = make
        self._enabled = enabled
        self._scope = scope
        self._lock = threading.Lock()  # one cache, whichever shell's thread asks first
        self.built: CellCache | None = None

    @property
    def cache(self) -> CellCache:
        with self._lock:
            if self.built is None:
                cache = self._make()
                cache.enabled, cache.scope = self._enabled, self._scope
                self.built = cache
            return self.built

    @property
    def enabled(self) -> bool:
        return self._enabled if self.built is None else self.built.enabled

    def enable(self) -> None:
        self.cache.enable()

    def disable(self) -> None:
        if self.built is None:
            self._enabled = False
        else:
            self.built.disable()

    @property
    def scope(self) -> str:
        return self._scope if self.built is None else self.built.scope

    @scope.setter
    def scope(self, scope: str) -> None:
        if self.built is None:
            self._scope = scope
        else:
            self.built.scope = scope

    def scoped(self, scope: str) -> CacheSwitch:
        """A multi-mode session's cache (see :meth:`~.cache.CellCache.scoped`): on or off as this
        one is now."""
        return CacheSwitch(lambda: self.cache.scoped(scope), enabled=self.enabled, scope=scope)


class CacheLayer(CellRunner):
    """The caching layer around ``inner``, caching through ``switch``'s cache while it is on."""

    def __init__(self, inner: CellRunner, switch: CacheSwitch) -> None:
        super().__init__(inner.host, inner.publisher, inner.fd_output)
        self.inner = inner
        self.switch = switch
        self.built: CachingRunner | None = None

    async def run(self, cell: Cell, scope: anyio.CancelScope) -> Outcome:
        if not self.switch.enabled:
            return await self.inner.run(cell, scope)
        if self.built is None:
            from braid_kernel.features.cache.engine.runner import CachingRunner  # first use: see above

            self.built = CachingRunner(self.inner, self.switch.cache)
        return await self.built.run(cell, scope)
