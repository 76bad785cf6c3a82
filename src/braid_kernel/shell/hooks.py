"""IPython's output hooks, routed to the current request.

* :class:`CellDisplayHook` shows a cell's last value as ``execute_result``
  with that cell's execution count (IPython's bookkeeping of ``_``, ``_N``
  and ``Out`` is kept);
* :class:`RequestDisplayPublisher` sends ``display_data``,
  ``update_display_data`` and ``clear_output`` with the current request as
  parent;
* :func:`page_to_payload` sends the pager's text back in the reply's payload.

They read the current cell and request at call time, so concurrent cells,
spawned tasks and threads each publish under their own parent.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from typing import Any

from IPython.core.displayhook import DisplayHook
from IPython.core.displaypub import DisplayPublisher

from braid_kernel.engine.cell import current_cell
from braid_kernel.routing.publisher import Publisher
from braid_kernel.shell.namespaces import active_namespace
from braid_kernel.wire.message import JsonDict


class CellDisplayHook(DisplayHook):  # type: ignore[misc]
    """Publishes the value of a cell's last expression."""

    def __init__(self, *, publisher: Publisher, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._publisher = publisher
        self._lock = threading.RLock()  # IPython keeps per-call state on the instance
        self._pending: tuple[JsonDict, JsonDict] | None = None

    @property
    def prompt_count(self) -> int:
        cell = current_cell.get()
        return cell.execution_count if cell is not None else int(self.shell.execution_count)

    def quiet(self) -> bool:
        cell = current_cell.get()
        if cell is None:
            return False
        try:
            return bool(self.semicolon_at_end_of_expression(cell.raw))
        except Exception:
            return False

    def __call__(self, result: Any = None) -> None:
        with self._lock:
            super().__call__(result)

    def update_user_ns(self, result: Any) -> None:
        isolated = active_namespace.get()
        if isolated is not None:
            # IPython keeps the last three values on the hook; in an isolated
            # namespace they are that namespace's own _, __ and ___.
            ns = isolated.user_ns
            self._, self.__, self.___ = ns.get("_", ""), ns.get("__", ""), ns.get("___", "")
        super().update_user_ns(result)

    def log_output(self, format_dict: JsonDict) -> None:
        isolated = active_namespace.get()
        if isolated is None:
            super().log_output(format_dict)
        elif isinstance(text := format_dict.get("text/plain"), str):
            isolated.record_output(self.prompt_count, text)

    def start_displayhook(self) -> None:
        self._pending = None

    def write_output_prompt(self) -> None:
        """No prompt: the execution count travels in the message."""

    def write_format_data(self, format_dict: JsonDict, md_dict: JsonDict | None = None) -> None:
        self._pending = (format_dict, md_dict or {})

    def finish_displayhook(self) -> None:
        if self._pending is None:
            return
        data, metadata = self._pending
        self._pending = None
        _flush_streams()
        self._publisher.iopub(
            "execute_result", {"execution_count": self.prompt_count, "data": data, "metadata": metadata}
        )


class RequestDisplayPublisher(DisplayPublisher):  # type: ignore[misc]
    """``display()``, ``update_display()`` and ``clear_output()`` for the current request."""

    def __init__(self, *, publisher: Publisher, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._publisher = publisher

    def publish(
        self,
        data: JsonDict,
        metadata: JsonDict | None = None,
        source: str | None = None,
        *,
        transient: JsonDict | None = None,
        update: bool = False,
        **kwargs: Any,
    ) -> None:
        del source, kwargs
        _flush_streams()
        content: JsonDict = {"data": data, "metadata": metadata or {}, "transient": transient or {}}
        self._publisher.iopub("update_display_data" if update else "display_data", content)

    def clear_output(self, wait: bool = False) -> None:
        self._publisher.iopub("clear_output", {"wait": bool(wait)})


def _flush_streams() -> None:
    """Flush stdout and stderr before a display, as IPython's hooks do: output still on its
    way (e.g. from forked children, see
    :meth:`~braid_kernel.engine.streams.OutStream.flush`) comes before the display."""
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            with contextlib.suppress(Exception):  # a user's stream that cannot flush
                stream.flush()


def page_to_payload(
    shell: Any, data: Any, start: int = 0, screen_lines: int = 0, pager_cmd: str | None = None
) -> None:
    """IPython ``show_in_pager`` hook: the pager's text goes into the reply payload."""
    del shell, screen_lines, pager_cmd
    cell = current_cell.get()
    if cell is None:
        return
    bundle = data if isinstance(data, dict) else {"text/plain": str(data)}
    cell.add_payload({"source": "page", "data": bundle, "start": int(start or 0)})
