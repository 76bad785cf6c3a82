"""stdout and stderr for cells: text goes to the cell that wrote it.

:class:`OutStream` replaces ``sys.stdout``/``sys.stderr``.  On every write it
reads the current request (a ContextVar, so tasks and threads started by a
cell write into that cell) and queues the text in the outbox, where runs of
writes are coalesced into few ``stream`` messages.  Text written outside any
request goes to the kernel's log instead of being lost.
"""

from __future__ import annotations

import io
import logging
from typing import TextIO

from braid_kernel.routing.context import current_request
from braid_kernel.routing.publisher import Publisher

log = logging.getLogger("braid_kernel.output")


class OutStream(io.TextIOBase):
    """A text stream that publishes to the current request's ``stream`` output."""

    def __init__(self, name: str, publisher: Publisher, fallback: TextIO | None = None) -> None:
        super().__init__()
        self._name = name
        self._publisher = publisher
        self._fallback = fallback

    @property
    def name(self) -> str:  # type: ignore[override]
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

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        if text:
            request = current_request.get()
            if request is not None:
                self._publisher.stream(self._name, text, request)
            else:
                self._orphan(text)
        return len(text)

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
