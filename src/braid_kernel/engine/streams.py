"""stdout and stderr for cells: text goes to the cell that wrote it.

:class:`OutStream` replaces ``sys.stdout``/``sys.stderr``.  On every write it
reads the current request (a ContextVar, so tasks and threads started by a
cell write into that cell) and queues the text in the outbox, where runs of
writes are coalesced into few ``stream`` messages.  Text written outside any
request goes to the kernel's log instead of being lost.  ``fileno()`` gives the
process's descriptor 1 or 2, which fd capture routes to the running cell.

Cache mode needs each cell's text for replay: :meth:`OutStream.record` swaps in a
write that also copies the text into the cell's
:class:`~braid_kernel.routing.recording.Recording`.  Without cache mode the
plain write runs, so ``print`` pays nothing for it.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from typing import TextIO

from braid_kernel.routing.context import current_request
from braid_kernel.routing.recording import current_recording
from braid_kernel.transport.outbox import Outbox

log = logging.getLogger("braid_kernel.output")


class OutStream(io.TextIOBase):
    """A text stream that publishes to the current request's ``stream`` output."""

    def __init__(
        self, name: str, outbox: Outbox, fallback: TextIO | None = None, fileno: int | None = None
    ) -> None:
        super().__init__()
        self._name = name
        self._fileno = fileno
        self._outbox = outbox
        self._recording = False
        self.write = self._make_write()  # type: ignore[method-assign,assignment]
        self._fallback = fallback

    def record(self, enabled: bool) -> None:
        """Copy written text into the writing cell's recording (cache mode), or stop doing so."""
        if enabled != self._recording:
            self._recording = enabled
            self.write = self._make_write()  # type: ignore[method-assign,assignment]

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
        if self._recording:
            return self._make_recording_write()
        name, outbox, orphan = self._name, self._outbox, self._orphan
        append, get_request = outbox.items.append, current_request.get

        def write(text: str) -> int:
            if text.__class__ is not str and not isinstance(text, str):
                raise TypeError(f"write() argument must be str, not {type(text).__name__}")
            if text:
                request = get_request()
                if request is None:
                    orphan(text)
                elif not request.silent:
                    append((request.msg.header, name, text))
                    if outbox.asleep:
                        outbox.wake()
            return len(text)

        return write

    def _make_recording_write(self) -> Callable[[str], int]:
        # The same write, also copying the text into the cell's recording.
        name, outbox, orphan = self._name, self._outbox, self._orphan
        append, get_request, get_recording = outbox.items.append, current_request.get, current_recording.get

        def write(text: str) -> int:
            if text.__class__ is not str and not isinstance(text, str):
                raise TypeError(f"write() argument must be str, not {type(text).__name__}")
            if text:
                request = get_request()
                if request is None:
                    orphan(text)
                elif not request.silent:
                    append((request.msg.header, name, text))
                    if outbox.asleep:
                        outbox.wake()
                    recording = get_recording()
                    if recording is not None:
                        recording.stream(name, text)
            return len(text)

        return write

    def writelines(self, lines: object) -> None:
        for line in lines:  # type: ignore[attr-defined]
            self.write(line)

    def flush(self) -> None:
        """Nothing to do: text is queued for sending as soon as it is written."""

    def _orphan(self, text: str) -> None:
        if self._fallback is not None:
            try:
                self._fallback.write(text)
                return
            except (OSError, ValueError):
                pass
        log.info("%s outside any request: %r", self._name, text)
