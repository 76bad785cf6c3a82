"""stdout and stderr for cells: text goes to the cell that wrote it.

:class:`OutStream` replaces ``sys.stdout``/``sys.stderr``.  On every write it
reads the current request (a ContextVar, so tasks and threads started by a
cell write into that cell) and queues the text in the outbox, where runs of
writes are coalesced into few ``stream`` messages.  Text written outside any
request goes to the kernel's log instead of being lost.  ``fileno()`` gives the
process's descriptor 1 or 2, which fd capture routes to the running cell.

Cache mode (a cell's text kept for replay) and reactive mode (a cell's text shown in its
own display) need each write offered to the cell's output taps
(:mod:`braid_kernel.routing.taps`) first: :meth:`OutStream.tap` swaps in a write that
does so while some feature asks for it (:func:`tap_output_streams`).  Without such a
feature the plain write runs, so ``print`` pays nothing for it.

A forked child (``os.fork``, multiprocessing's ``fork`` start method,
``ProcessPoolExecutor`` workers on Linux) has no I/O thread to drain the outbox,
so after a fork the child's streams write each text at once, encoded, to the
process's descriptor 1 or 2.  Those are the kernel's fd-capture pipes, inherited,
so the kernel routes the text to the running cell; nothing waits in a buffer
for a flush that ``os._exit`` would skip.  Once the kernel has forked, its own
writes first route what its children wrote before them (fd capture's
:class:`~braid_kernel.engine.fdcapture.ChildWrites`), so a child's text comes
before the ``print`` that follows ``join()``.  Without fd capture the text
reaches the kernel's own stdout/stderr; an in-process kernel's child writes to
the host's original streams.
"""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import mmap
import os
import sys
import weakref
from collections.abc import Callable, Iterable
from typing import TextIO

from braid_kernel.engine.fdcapture import ChildWrites
from braid_kernel.routing.context import current_request
from braid_kernel.routing.taps import current_taps, offer_stream
from braid_kernel.transport.outbox import Outbox

log = logging.getLogger("braid_kernel.output")


class OutStream(io.TextIOBase):
    """A text stream that publishes to the current request's ``stream`` output."""

    def __init__(
        self,
        name: str,
        outbox: Outbox,
        fallback: TextIO | None = None,
        fileno: int | None = None,
        children: ChildWrites | None = None,
    ) -> None:
        """``children``: fd capture's flag shared with forked children (None: no fd capture)."""
        super().__init__()
        self._name = name
        self._fileno = fileno
        self._outbox = outbox
        self._tapped_for: set[str] = set()  # the features that need writes offered to the taps
        self._forked = False  # this process is a forked child of the kernel
        self._has_forked = False  # this process (the kernel) has forked children
        self._children = children
        self._fallback = fallback
        self.write = self._make_write()  # type: ignore[method-assign,assignment]
        if hasattr(os, "register_at_fork"):  # POSIX; a weak reference: the hook outlives the stream
            ref = weakref.ref(self)
            os.register_at_fork(
                after_in_child=functools.partial(_forked, ref, True),
                after_in_parent=functools.partial(_forked, ref, False),
            )

    def tap(self, feature: str, enabled: bool) -> None:
        """Offer written text to the writing cell's output taps while ``enabled`` for some
        ``feature`` (``"cache"``, ``"react"``: each switches only its own need)."""
        tapped = bool(self._tapped_for)
        if enabled:
            self._tapped_for.add(feature)
        else:
            self._tapped_for.discard(feature)
        if tapped != bool(self._tapped_for):
            self.write = self._make_write()  # type: ignore[method-assign,assignment]

    def record(self, enabled: bool) -> None:
        """Cache mode's switch: offer text to the taps, where cells' recordings are."""
        self.tap("cache", enabled)

    @property
    def name(self) -> str:
        return self._name

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    @property
    def errors(self) -> str:  # type: ignore[override]
        return "replace"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        """The process's descriptor for this stream (1 or 2), for code that writes below Python
        (``faulthandler.enable()``, ``subprocess.run(..., stdout=sys.stdout)``): with fd capture
        what reaches it goes to the running cell too.  An in-process kernel has none."""
        if self._fileno is None:
            raise io.UnsupportedOperation(f"{self._name} of an in-process kernel has no file descriptor")
        return self._fileno

    def write(self, text: str) -> int:
        """Publish ``text`` to the current request (replaced per instance below)."""
        raise NotImplementedError  # pragma: no cover - shadowed in __init__

    def _make_write(self) -> Callable[[str], int]:
        # The hot path of every print, as a closure over locals: a ContextVar
        # read, a tuple and a deque append (attribute lookups on an io subclass
        # cost more than all of that).
        if self._forked:
            return self._make_child_write()
        if self._tapped_for:
            return self._make_tapped_write()
        name, outbox, orphan = self._name, self._outbox, self._orphan
        append, get_request = outbox.items.append, current_request.get
        watched, catch_up = self._watched_children()

        def write(text: str) -> int:
            if text.__class__ is not str and not isinstance(text, str):
                raise TypeError(f"write() argument must be str, not {type(text).__name__}")
            if text:
                if watched is not None and watched[0]:
                    catch_up()
                request = get_request()
                if request is None:
                    orphan(text)
                elif not request.silent:
                    append((request.msg.header, name, text))
                    if outbox.asleep:
                        outbox.wake()
            return len(text)

        return write

    def _make_tapped_write(self) -> Callable[[str], int]:
        # The same write, offering the text to the cell's taps first (they may take it).
        name, outbox, orphan = self._name, self._outbox, self._orphan
        append, get_request, get_taps = outbox.items.append, current_request.get, current_taps.get
        watched, catch_up = self._watched_children()

        def write(text: str) -> int:
            if text.__class__ is not str and not isinstance(text, str):
                raise TypeError(f"write() argument must be str, not {type(text).__name__}")
            if text:
                if watched is not None and watched[0]:
                    catch_up()
                request = get_request()
                if request is None:
                    orphan(text)
                elif not request.silent and not (get_taps() and offer_stream(name, text)):
                    append((request.msg.header, name, text))
                    if outbox.asleep:
                        outbox.wake()
            return len(text)

        return write

    def _watched_children(self) -> tuple[mmap.mmap | None, Callable[[], None]]:
        """Once the kernel has forked (with fd capture): the flag its children set when they
        write, and what routes their text, which the kernel's writes do first when it is set."""
        if self._has_forked and self._children is not None:
            return self._children.flag, self._children.catch_up
        return None, _nothing

    def _make_child_write(self) -> Callable[[str], int]:
        # In a forked child: straight to the descriptor (or the fallback stream), unbuffered.
        fd, fallback = self._fileno, self._fallback
        wrote = self._children.child_wrote if self._children is not None else None

        def write(text: str) -> int:
            if text.__class__ is not str and not isinstance(text, str):
                raise TypeError(f"write() argument must be str, not {type(text).__name__}")
            if text:
                if fd is not None:
                    _write_all(fd, text.encode("utf-8", "replace"))
                    if wrote is not None:
                        wrote()
                elif fallback is not None:
                    with contextlib.suppress(OSError, ValueError):
                        fallback.write(text)
                        fallback.flush()
            return len(text)

        return write

    def after_fork(self, in_child: bool) -> None:
        """Switch to the forked child's write, or in the kernel to the write that lets
        children's text come first (run by ``os.register_at_fork``)."""
        if in_child:
            self._forked = True
        elif self._forked or self._has_forked:
            return  # a child forking a grandchild, or not the first fork
        else:
            self._has_forked = True
        self.write = self._make_write()  # type: ignore[method-assign,assignment]

    def writelines(self, lines: object) -> None:
        for line in lines:  # type: ignore[attr-defined]
            self.write(line)

    def flush(self) -> None:
        """Send the text written so far now rather than batched with later text, as in
        ipykernel; once the kernel has forked, what its children wrote before this call is
        routed first (the display hooks flush before publishing, as IPython's do, so a child's
        text comes before a cell's result)."""
        if self._has_forked and not self._forked and self._children is not None:
            self._children.catch_up()
        if not self._forked:  # a forked child writes straight to its descriptor
            self._outbox.flush_streams()

    def _orphan(self, text: str) -> None:
        if self._fallback is not None:
            try:
                self._fallback.write(text)
                return
            except (OSError, ValueError):
                pass
        log.info("%s outside any request: %r", self._name, text)


def tap_output_streams(feature: str, enabled: bool, streams: Iterable[object] | None = None) -> None:
    """Switch :meth:`OutStream.tap` for ``feature`` on the kernel's output streams: those
    ``streams`` (default: ``sys.stdout`` and ``sys.stderr``) are, or wrap (a proxy that passes
    attributes on).  Streams that are not the kernel's are left alone."""
    for stream in (sys.stdout, sys.stderr) if streams is None else streams:
        owner = getattr(getattr(stream, "tap", None), "__self__", None)
        if isinstance(owner, OutStream):
            owner.tap(feature, enabled)


def _nothing() -> None:
    pass


def _forked(stream: weakref.ref[OutStream], in_child: bool) -> None:
    target = stream()
    if target is not None:
        target.after_fork(in_child)


def _write_all(fd: int, data: bytes) -> None:
    """Write ``data`` whole (a pipe may take part of it); a closed descriptor drops it."""
    with contextlib.suppress(OSError):
        while data:
            data = data[os.write(fd, data) :]
