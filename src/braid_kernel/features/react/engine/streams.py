"""stdout/stderr that hand a reactive cell's text to its display.

Installed over ``sys.stdout``/``sys.stderr`` the first time reactive mode is switched on (and
kept: without a capture in the context a write costs one ContextVar read more).  Text written
while :data:`~braid_kernel.routing.capture.current_capture` is set goes to that capture; the
rest, and every other attribute, goes to the stream underneath.
"""

from __future__ import annotations

import sys
from typing import Any, TextIO

from braid_kernel.routing.capture import current_capture
from braid_kernel.routing.recording import current_recording


class CapturingStream:
    """A proxy for a text stream that offers writes to the current capture first."""

    def __init__(self, name: str, inner: TextIO) -> None:
        self._name = name
        self._inner = inner

    @property
    def inner(self) -> TextIO:
        return self._inner

    def write(self, text: str) -> int:
        capture = current_capture.get()
        if capture is not None and isinstance(text, str) and text and capture.stream(self._name, text):
            recording = current_recording.get()  # cache mode replays what a cached cell printed
            if recording is not None:
                recording.stream(self._name, text)
            return len(text)
        return self._inner.write(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def install_capturing_streams() -> None:
    """Wrap ``sys.stdout`` and ``sys.stderr`` once (idempotent)."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if not isinstance(stream, CapturingStream):
            setattr(sys, name, CapturingStream(name, stream))
