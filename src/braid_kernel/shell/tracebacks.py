"""Showing a cell's exception the way IPython's ``run_cell`` shows it.

The engine runs cells itself, so it catches their exceptions itself; this module then hands each
one to IPython's own machinery, in the order ``run_cell``/``run_code`` use:

* ``bdb.BdbQuit`` (the user quit the debugger) is shown as nothing;
* an exception listed by ``shell.set_custom_exc`` goes to that handler, and only to it;
* an exception group, which IPython's formatter cannot show (it falls back to printing the
  standard traceback on stderr), is published as an ``error`` whose traceback is Python's own
  rendering of the whole group tree;
* everything else goes to ``shell.showtraceback`` (tracebacks, ``_render_traceback_``,
  ``UsageError``, ``%pdb``'s post-mortem debugger), and a syntax error the cell's compilation
  raised to ``shell.showsyntaxerror``.

Going through the shell's methods keeps what libraries replace there working: ``rich.traceback
.install()`` swaps ``showtraceback``/``_showtraceback`` on the shell instance.

The traceback handed to IPython is the user's part (:func:`user_frames`), shown with
``tb_offset=0`` (IPython's own starts with its ``run_code`` frame, which it skips).
"""

from __future__ import annotations

import contextvars
import logging
import sys
import traceback
from collections.abc import Callable
from types import TracebackType
from typing import Any

from braid_kernel.engine.cell import ErrorInfo

#: IPython's own words when its formatter fails (``InteractiveShell.showtraceback``).
FORMATTER_FAILED = "Unexpected exception formatting exception. Falling back to standard exception"
#: IPython's own words before a ``SystemExit`` (``run_code`` shows it exception-only).
EXIT_NOTE = "An exception has occurred, use %tb to see the full traceback.\n"

log = logging.getLogger("braid_kernel.shell")

#: The tracebacks ``_showtraceback`` published while :func:`show_error` ran (see ZMQInteractiveShell).
shown_tracebacks: contextvars.ContextVar[list[list[str]] | None] = contextvars.ContextVar(
    "braid_shown_tracebacks", default=None
)


def user_frames(
    tb: TracebackType | None, is_cell: Callable[[str], bool], is_kernel: Callable[[str], bool]
) -> TracebackType | None:
    """The user's part of ``tb``: from the first cell frame on, without the kernel's frames
    (e.g. the SIGINT handler that raised ``KeyboardInterrupt``); None if no cell frame."""
    while tb is not None and not is_cell(tb.tb_frame.f_code.co_filename):
        tb = tb.tb_next
    kept: list[TracebackType] = []
    while tb is not None:
        if not is_kernel(tb.tb_frame.f_code.co_filename):
            kept.append(tb)
        tb = tb.tb_next
    rebuilt: TracebackType | None = None
    for entry in reversed(kept):
        rebuilt = TracebackType(rebuilt, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    return rebuilt


def plain_traceback(exc: BaseException, tb: TracebackType | None) -> list[str]:
    """What the cell shows when IPython's formatter fails: its words, then Python's traceback."""
    plain = "".join(traceback.format_exception(type(exc), exc, tb)).splitlines()
    return [FORMATTER_FAILED, *plain]


def guard_formatter(formatter: Any) -> None:
    """Make ``formatter`` (the shell's ``InteractiveTB``) fall back to Python's plain traceback
    when it fails (``%xmode Docs`` on a chained exception trips an assertion in IPython 9).

    IPython's ``showtraceback`` would then print its note on stdout and the formatter's own
    failure on stderr, and publish no ``error`` output at all; with the guard the cell still gets
    an ``error`` whose traceback is the user's exception.  Set on the instance, so ``%xmode`` and
    ``%colors`` (which change the same instance) keep it.
    """
    structured = formatter.structured_traceback

    def structured_traceback(
        etype: type[BaseException],
        evalue: BaseException,
        etb: TracebackType | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> list[str]:
        try:
            stb: list[str] = structured(etype, evalue, etb, *args, **kwargs)
        except Exception:
            log.warning("the traceback formatter failed; showing a plain traceback", exc_info=True)
            return plain_traceback(evalue, etb)
        return stb

    formatter.structured_traceback = structured_traceback


def contains_group(exc: BaseException | None) -> bool:
    """Whether ``exc`` or an exception it happened while handling is an exception group."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, BaseExceptionGroup):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def group_traceback(exc: BaseException, tb: TracebackType | None) -> list[str]:
    """Python's rendering of ``exc`` (with its sub-exceptions and chained exceptions) from ``tb``."""
    return ["".join(traceback.format_exception(type(exc), exc, tb)).rstrip("\n")]


def rendered_by_braid(exc: BaseException) -> bool:
    """Whether the kernel renders ``exc`` itself (an exception group without its own renderer,
    which IPython's formatter cannot show) rather than IPython's formatter."""
    return contains_group(exc) and not hasattr(exc, "_render_traceback_")


def format_traceback(shell: Any, exc: BaseException, tb: TracebackType | None) -> list[str]:
    """The traceback IPython's ``showtraceback`` would show for ``exc`` (with ``tb`` from
    :func:`user_frames`), without showing it: no custom handler, no ``%pdb``.  A formatter
    that fails gives Python's plain traceback."""
    etype = type(exc)
    try:
        render = getattr(exc, "_render_traceback_", None)
        if callable(render):
            return list(render())
        if isinstance(exc, SyntaxError):
            return list(shell.SyntaxTB.structured_traceback(etype, exc, tb))
        if isinstance(exc, SystemExit):  # IPython shows no stack for it (run_code)
            return [EXIT_NOTE, *shell.InteractiveTB.get_exception_only(etype, exc)]
        if rendered_by_braid(exc):
            return group_traceback(exc, tb)
        return list(shell.InteractiveTB.structured_traceback(etype, exc, tb, tb_offset=0))
    except Exception:  # e.g. a _render_traceback_ that fails
        log.warning("the traceback formatter failed; showing a plain traceback", exc_info=True)
        return plain_traceback(exc, tb)


def show_error(
    shell: Any, exc: BaseException, tb: TracebackType | None, compiled: bool, cell_file: str
) -> ErrorInfo:
    """Show ``exc`` (raised by the cell compiled as ``cell_file``, with ``tb`` from
    :func:`user_frames`) through the shell; ``compiled`` is False for an error of the cell's
    compilation.  Returns what the reply reports: the traceback published, if any."""
    etype = type(exc)
    sys.last_type, sys.last_value, sys.last_traceback = etype, exc, tb  # what %tb, %debug, pdb read
    shown: list[list[str]] = []
    token = shown_tracebacks.set(shown)
    try:
        _as_cell_code(cell_file, lambda: _show(shell, exc, tb, compiled))
    except KeyboardInterrupt:  # an interrupt while a handler or %pdb's debugger ran: stop showing
        pass
    except Exception:  # a replaced showtraceback failed: still report the cell's error
        shell.log.warning("showing a cell's exception failed", exc_info=True)
    finally:
        shown_tracebacks.reset(token)
    return ErrorInfo(etype.__name__, str(exc), [str(line) for line in shown[-1]] if shown else [])


def _as_cell_code(cell_file: str, show: Callable[[], None]) -> None:
    """Call ``show`` below a top-level frame of ``cell_file``.

    The kernel's SIGINT handler raises ``KeyboardInterrupt`` only where a cell's top-level code
    is on the stack (elsewhere it would hit the kernel).  Showing the error is still the cell's
    turn, and ``%pdb``'s debugger waits there for commands: run from such a frame, an interrupt
    ends the debugger, as in ipykernel, instead of waiting until the user answers it.
    """
    exec(compile("show()", cell_file, "exec"), {"show": show})


def _debugger_quit(exc: BaseException) -> bool:
    """``exc`` is ``bdb.BdbQuit``; told without importing ``bdb`` (until some code has, no
    debugger has run)."""
    bdb = sys.modules.get("bdb")
    return bdb is not None and isinstance(exc, bdb.BdbQuit)


def _show(shell: Any, exc: BaseException, tb: TracebackType | None, compiled: bool) -> None:
    etype = type(exc)
    if _debugger_quit(exc):
        return
    if shell.custom_exceptions and isinstance(exc, shell.custom_exceptions):
        shell.CustomTB(etype, exc, tb)
    elif not compiled and isinstance(exc, SyntaxError):
        shell.showsyntaxerror()
    elif rendered_by_braid(exc):
        shell._showtraceback(etype, exc, format_traceback(shell, exc, tb))
        if shell.call_pdb:
            shell.debugger(force=True)
    else:
        # tb_offset=0: ``tb`` starts at the cell's frame (IPython's would start at run_code's).
        # SystemExit: no stack, as run_code shows it (IPython writes EXIT_NOTE before it).
        shell.showtraceback(
            (etype, exc, tb),
            tb_offset=0,
            exception_only=isinstance(exc, SystemExit),
            running_compiled_code=True,
        )
