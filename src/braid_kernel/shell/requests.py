"""Shell requests answered by IPython: completion, inspection, history, is_complete."""

from __future__ import annotations

from typing import Any

from IPython.core.completer import provisionalcompleter, rectify_completions
from IPython.utils.tokenutil import token_at_cursor

from braid_kernel.routing.context import Request
from braid_kernel.shell.ipshell import ZMQInteractiveShell
from braid_kernel.shell.namespaces import active_namespace
from braid_kernel.wire.message import JsonDict


def _cursor(request: Request, code: str) -> int:
    pos = request.field("cursor_pos")
    return len(code) if pos is None else max(0, min(int(pos), len(code)))


class ShellRequests:
    """Handlers for the IPython-backed shell requests."""

    def __init__(self, shell: ZMQInteractiveShell) -> None:
        self.shell = shell

    def complete(self, request: Request) -> JsonDict:
        code = str(request.field("code", ""))
        pos = _cursor(request, code)
        with provisionalcompleter():
            found = list(rectify_completions(code, self.shell.Completer.completions(code, pos)))
        start, end = (found[0].start, found[0].end) if found else (pos, pos)
        types = [
            {"start": c.start, "end": c.end, "text": c.text, "type": c.type, "signature": c.signature}
            for c in found
        ]
        return {
            "status": "ok",
            "matches": [c.text for c in found],
            "cursor_start": start,
            "cursor_end": end,
            "metadata": {"_jupyter_types_experimental": types},
        }

    def inspect(self, request: Request) -> JsonDict:
        code = str(request.field("code", ""))
        name = token_at_cursor(code, _cursor(request, code))
        detail = int(request.field("detail_level", 0) or 0)
        try:
            bundle: JsonDict = self.shell.object_inspect_mime(name, detail_level=detail)
        except KeyError:
            return {"status": "ok", "found": False, "data": {}, "metadata": {}}
        if not self.shell.enable_html_pager:
            bundle.pop("text/html", None)
        return {"status": "ok", "found": True, "data": bundle, "metadata": {}}

    def is_complete(self, request: Request) -> JsonDict:
        code = str(request.field("code", ""))
        status, indent = self.shell.input_transformer_manager.check_complete(code)
        content: JsonDict = {"status": status}
        if status == "incomplete":
            content["indent"] = " " * (indent or 0)
        return content

    def history(self, request: Request) -> JsonDict:
        isolated = active_namespace.get()  # an isolated subshell answers from its own history
        if isolated is not None:
            kind = str(request.field("hist_access_type", "tail"))
            found = isolated.history(kind, dict(request.content))
            return {"status": "ok", "history": [list(entry) for entry in found]}
        manager = self.shell.history_manager
        manager.writeout_cache()  # cells are written in batches; answer with all of them
        kind = request.field("hist_access_type", "tail")
        raw, output = bool(request.field("raw", True)), bool(request.field("output", False))
        entries: Any
        if kind == "tail":
            entries = manager.get_tail(
                int(request.field("n", 10) or 10), raw=raw, output=output, include_latest=True
            )
        elif kind == "range":
            entries = manager.get_range(
                int(request.field("session", 0) or 0),
                int(request.field("start", 1) or 1),
                request.field("stop"),
                raw=raw,
                output=output,
            )
        elif kind == "search":
            n = request.field("n")
            entries = manager.search(
                str(request.field("pattern", "*")),
                raw=raw,
                output=output,
                n=int(n) if n else None,
                unique=bool(request.field("unique", False)),
            )
        else:
            raise ValueError(f"unknown hist_access_type {kind!r}: use tail, range or search")
        return {"status": "ok", "history": [list(entry) for entry in entries]}
