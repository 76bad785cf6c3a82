"""The Jupyter extensions of DAP that need no debug adapter.

JupyterLab adds requests to the Debug Adapter Protocol (``dumpCell``,
``debugInfo``, ``inspectVariables``, ``richInspectVariables``,
``copyToGlobals``) and expects the kernel to answer ``source`` and
``modules`` itself.  This module holds the parts of those answers that are
plain functions of their inputs: reply records, argument checks, and bodies.
"""

from __future__ import annotations

import linecache
import sys
from pathlib import Path
from typing import Any

from braid_kernel.engine.cellfiles import HASH_METHOD, CellFiles

from .errors import DebuggerError

Message = dict[str, Any]

# Group rows pydevd shows in a scope; they name no variable.
GROUP_NAMES = frozenset({"special variables", "function variables", "class variables", "protected variables"})


def answering(request: Message) -> dict[str, Any]:
    """The fields that tie a response to ``request`` (well-typed even for garbage)."""
    seq, command = request.get("seq"), request.get("command")
    return {
        "type": "response",
        "request_seq": seq if isinstance(seq, int) else 0,
        "command": command if isinstance(command, str) else "",
    }


def reply(request: Message, seq: int, body: dict[str, Any] | None = None) -> Message:
    """A successful DAP response to ``request``."""
    return {"seq": seq, **answering(request), "success": True, "body": {} if body is None else body}


def failure(request: Message, seq: int, message: str) -> Message:
    """A failed DAP response to ``request``, with the reason the user sees."""
    return {"seq": seq, **answering(request), "success": False, "message": message, "body": {}}


def arguments(request: Message) -> dict[str, Any]:
    """The request's ``arguments`` object (empty when absent)."""
    args = request.get("arguments")
    if args is None:
        return {}
    if not isinstance(args, dict):
        raise DebuggerError(f"{request.get('command')!r}: arguments must be an object")
    return args


def identifier(args: dict[str, Any], key: str) -> str:
    """``args[key]``, which must be a Python identifier (it is put into code)."""
    value = args.get(key)
    if not isinstance(value, str) or not value.isidentifier():
        raise DebuggerError(f"{key} must be a Python identifier, got {value!r}")
    return value


def debug_info_body(
    cell_files: CellFiles,
    *,
    started: bool,
    breakpoints: dict[str, list[dict[str, Any]]],
    stopped_threads: list[int],
) -> dict[str, Any]:
    """The ``debugInfo`` body: how JupyterLab names cells, and the session state."""
    return {
        "isStarted": started,
        "hashMethod": HASH_METHOD,
        "hashSeed": cell_files.seed,
        "tmpFilePrefix": cell_files.prefix,
        "tmpFileSuffix": cell_files.suffix,
        "breakpoints": [{"source": path, "breakpoints": list(bps)} for path, bps in breakpoints.items()],
        "stoppedThreads": stopped_threads,
        "richRendering": True,
        "exceptionPaths": ["Python Exceptions"],
        "copyToGlobals": True,
    }


def placed_breakpoints(
    requested: list[dict[str, Any]], reported: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The source breakpoints to remember, at the lines the adapter placed them.

    ``requested`` are the ``SourceBreakpoint`` objects the frontend sent (with
    any condition or log message), ``reported`` the ``Breakpoint`` objects the
    adapter answered, in the same order.
    """
    placed = []
    for index, wanted in enumerate(requested):
        entry = dict(wanted)
        if index < len(reported) and isinstance(reported[index].get("line"), int):
            entry["line"] = reported[index]["line"]
        placed.append(entry)
    return placed


def source_body(path: str, cell_files: CellFiles) -> dict[str, Any]:
    """The ``source`` body: the text of a cell or file; DebuggerError if unknown."""
    if cell_files.is_cell(path):
        lines = linecache.getlines(path)
        if lines:
            return {"content": "".join(lines)}
    file = Path(path)
    if not file.is_file():
        raise DebuggerError(f"source unavailable: {path}")
    try:
        return {"content": file.read_text(encoding="utf-8", errors="replace")}
    except OSError as exc:
        raise DebuggerError(f"source unavailable: {path}: {exc}") from exc


def modules_body(args: dict[str, Any]) -> dict[str, Any]:
    """The ``modules`` body: loaded modules with a Python source file, paged."""
    loaded = list(sys.modules.values())
    start = int(args.get("startModule", 0) or 0)
    count = int(args.get("moduleCount", 0) or 0)
    window = loaded[start : start + count] if count > 0 else loaded[start:]
    modules = []
    for offset, module in enumerate(window):
        spec = getattr(module, "__spec__", None)
        origin = getattr(spec, "origin", None)
        if isinstance(origin, str) and origin.endswith(".py"):
            modules.append({"id": start + offset, "name": module.__name__, "path": origin})
    return {"modules": modules, "totalModules": len(loaded)}
