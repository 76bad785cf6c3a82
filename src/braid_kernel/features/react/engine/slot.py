"""A reactive cell's display: all its output, replaceable in place.

Frontends put an output in a cell's output area by the ``parent_header`` of the message: the
cell's own execute_request.  A cell re-run because *another* cell ran produces its output while
that other cell's request is being served, so plain output would land in the wrong cell.  The
standard way to change a cell's output from elsewhere is a display id: ``display_data`` with
``transient.display_id`` creates an output, and ``update_display_data`` with the same id,
parented to any request, replaces it wherever it is shown (JupyterLab, Notebook 7, VS Code and
nbclient all track display ids across cells).

So in reactive mode a cell's output goes into one display owned by the cell
(``display_id = "braid-react-" + cell key``).  Its own run creates the display, parented to its
own request, at its first output (:attr:`SlotMode.CREATE`; a cell that shows nothing gets no
display); a re-run sends ``update_display_data`` for that id, parented to the triggering request
(:attr:`SlotMode.UPDATE`), also when it shows nothing, which clears the old output.  A cell that had
no display has no output area a re-run could reach: if its re-run shows something, the display
is created under the triggering request, headed by the cell's key (:attr:`SlotMode.ORPHAN`).  Streams,
``display()``, the result and the error are gathered in order and shown as one bundle
(:func:`~braid_kernel.features.react.engine.compose.compose`); ``clear_output`` clears them.  Stream text
is re-sent at most every :data:`STREAM_INTERVAL` seconds while the cell runs, and in full when
it ends.
"""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from braid_kernel.features.react.engine.compose import Part, compose, error_part, stream_part
from braid_kernel.wire.message import JsonDict

STREAM_INTERVAL = 0.1
DISPLAY_PREFIX = "braid-react-"

Send = Callable[[str, JsonDict], None]


class SlotMode(enum.Enum):
    """How a run shows its output: in a new display, in place of the old one, or headed by the
    cell's key (named apart from :class:`braid_kernel.engine.modes.Mode`, the kernel's modes)."""

    CREATE = "create"  # the cell's own run: display_data at the first output
    UPDATE = "update"  # a re-run of a cell that has a display: update_display_data, always
    ORPHAN = "orphan"  # a re-run of a cell without one: display_data if it shows anything


def display_id_of(key: str) -> str:
    """The display id owned by the cell with this key."""
    return DISPLAY_PREFIX + key


class OutputSlot:
    """Captures one run's output into the cell's display (an
    :class:`~braid_kernel.routing.taps.OutputTap`: the runner pushes it around the run, so the
    publisher and the output streams offer it the cell's output, also from the cell's tasks
    and threads, before sending anything).

    ``send(msg_type, content)`` publishes an IOPub message parented to the request being
    served.  :attr:`shown` tells afterwards whether the cell has a display now.
    """

    def __init__(
        self, key: str, send: Send, mode: SlotMode, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.key = key
        self.display_id = display_id_of(key)
        self._send = send
        self._mode = mode
        self.shown = mode is SlotMode.UPDATE
        self._clock = clock
        self._lock = threading.Lock()
        self._parts: list[Part] = []
        self._clear_pending = False
        self._dirty = mode is SlotMode.UPDATE
        self._last_flush = clock()  # short cells: one message at the end
        self._closed = False

    # ------------------------------------------------------------------ OutputTap

    def iopub(
        self,
        msg_type: str,
        content: JsonDict,
        parent: JsonDict | None,
        metadata: JsonDict | None,
        buffers: Sequence[Any],
    ) -> bool:
        del parent, metadata, buffers
        if msg_type in ("display_data", "execute_result"):
            part = Part(dict(content.get("data") or {}), dict(content.get("metadata") or {}))
        elif msg_type == "error":
            part = error_part(content)
        elif msg_type == "clear_output":
            with self._lock:
                if self._closed:
                    return False
                if content.get("wait"):
                    self._clear_pending = True
                else:
                    self._parts.clear()
                    self._flush_locked()
            return True
        else:
            return False
        with self._lock:
            if self._closed:
                return False
            self._take_pending_clear()
            self._parts.append(part)
            self._flush_locked()
        return True

    def stream(self, name: str, text: str) -> bool:
        with self._lock:
            if self._closed:
                return False
            self._take_pending_clear()
            last = self._parts[-1] if self._parts else None
            if last is not None and last.stream == name:
                last.data["text/plain"] = last.plain + text
            else:
                self._parts.append(stream_part(name, text))
            self._dirty = True
            if self._clock() - self._last_flush >= STREAM_INTERVAL:
                self._flush_locked()
        return True

    # ------------------------------------------------------------------ lifecycle

    def show(self, parts: list[Part]) -> None:
        """Replace the output with ``parts`` (e.g. a note that the cell waits)."""
        with self._lock:
            self._parts = list(parts)
            self._flush_locked()

    def close(self) -> None:
        """The run ended: send the final state; later output (threads) is not captured."""
        with self._lock:
            if self._dirty:
                self._flush_locked()
            self._closed = True

    def _take_pending_clear(self) -> None:
        if self._clear_pending:
            self._clear_pending = False
            self._parts.clear()

    def _flush_locked(self) -> None:
        self._dirty = False
        self._last_flush = self._clock()
        if not self.shown and not self._parts:
            return  # nothing to show and no display to clear
        parts = self._parts
        if self._mode is SlotMode.ORPHAN:
            parts = [Part({"text/plain": f"[re-run of cell {self.key}]"}, {}), *parts]
        data, metadata = compose(parts)
        content: JsonDict = {"data": data, "metadata": metadata, "transient": {"display_id": self.display_id}}
        self._send("update_display_data" if self.shown else "display_data", content)
        self.shown = True
