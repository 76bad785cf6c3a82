"""braid in a JupyterLite web worker: a frontend's raw messages in, raw messages out.

The worker of braid's JupyterLite extension (``lite/``) loads Pyodide, installs the wheels the site
ships and hands each message JupyterLite's kernel service gives it to :meth:`LiteBridge.handle`, as
JSON text plus its binary buffers; every message the kernel sends comes back through the ``send``
callback the same way.  Underneath is an :class:`~braid_kernel.app.inprocess.InProcessKernel` on
Pyodide's event loop, driven through its callback form (``connect(send)``, ``handle_message``).

What the bridge adds for JupyterLite:

* **replies carry the client's session.**  JupyterLite routes a kernel's messages to the frontend
  by ``header.session``, so each outgoing header takes the session of the request it answers
  (``parent_header.session``), or, for a message without a parent, of the last request seen;
* **input() without a thread.**  A cell's ``input()`` calls ``ask`` synchronously with the
  ``input_request`` as JSON and returns what it answers: in the worker, a synchronous request to
  JupyterLite's service worker (``/api/stdin/kernel``), which waits for the page's ``input_reply``;
* **the kernel's log in the browser console.**  A kernel process logs to its own stderr; the
  bridge sends the ``braid_kernel`` loggers to the worker's (``sys.__stderr__``: the console),
  instead of letting them reach the running cell's stderr;
* **one message format.**  JSON text both ways (encoded by the kernel's own
  :mod:`~braid_kernel.wire.jsonutil`), so nothing depends on how Pyodide converts objects.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Callable, Sequence
from typing import Any

from braid_kernel.app.inprocess import Connection, InProcessKernel
from braid_kernel.engine.modes import Mode, parse_modes
from braid_kernel.errors import ConfigError
from braid_kernel.wire import jsonutil
from braid_kernel.wire.message import JsonDict

log = logging.getLogger("braid_kernel")

SendJson = Callable[[str, list[bytes]], object]
"""Receives each outgoing message as JSON text (without buffers) and its buffers."""

AskJson = Callable[[str], str]
"""Answers one ``input_request`` (JSON text) with the text typed in, synchronously."""


class LiteBridge:
    """One JupyterLite frontend connected to an in-process braid kernel.

    ``await bridge.start()`` enters the kernel on the running loop and returns once it serves;
    :meth:`handle` takes each message from the frontend; ``await bridge.stop()`` (or a
    ``shutdown_request``) ends it.  ``modes``: a :class:`~braid_kernel.Mode` or dash-joined names,
    where ``lazy`` (as in the kernelspec name ``braid-react-lazy``) asks for lazy reactive mode.
    """

    def __init__(self, send: SendJson, ask: AskJson | None = None, modes: Mode | str = "") -> None:
        self._send = send
        self._ask = ask
        self._lazy = False
        if isinstance(modes, str):
            names = [name for name in modes.lower().split("-") if name]
            self._lazy = "lazy" in names
            modes = parse_modes("-".join(name for name in names if name != "lazy"))
        self._modes = modes
        if self._lazy and Mode.REACT not in self._modes:
            raise ConfigError("lazy applies to react mode: give the modes react-lazy")
        if Mode.MULTI in self._modes:
            raise ConfigError(
                "multi mode serves many notebooks from one kernel process; in JupyterLite each "
                "notebook has a kernel of its own (a web worker): leave multi out"
            )
        self._session = ""
        self._connection: Connection | None = None
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start the kernel on the running loop (Pyodide's); returns when it serves requests."""
        ready = asyncio.get_running_loop().create_future()
        # The kernel outlives this call: its task is the bridge's, ended by stop().
        self._task = asyncio.ensure_future(self._serve(ready))
        await ready

    async def _serve(self, ready: asyncio.Future[None]) -> None:
        console = logging.StreamHandler(sys.__stderr__)
        log.addHandler(console)
        log.propagate = False
        try:
            async with InProcessKernel(self._modes, react_lazy=self._lazy) as kernel:
                input_handler = self._input if self._ask is not None else None
                self._connection = kernel.connect(self._deliver, input_handler=input_handler)
                ready.set_result(None)
                # A shutdown_request stops the kernel's shell; JupyterLite then ends the worker.
                await self._stopping.wait()
        except BaseException as exc:
            if not ready.done():
                ready.set_exception(exc)
                return
            raise
        finally:
            self._connection = None
            log.removeHandler(console)
            log.propagate = True

    async def stop(self) -> None:
        """End the kernel (its cells are cancelled) and wait until it has exited."""
        self._stopping.set()
        if self._task is not None:
            await self._task

    @property
    def running(self) -> bool:
        return self._connection is not None

    def handle(self, message: str, buffers: Sequence[Any] = ()) -> None:
        """Take one message from the frontend: JSON text naming its ``channel``."""
        if self._connection is None:
            raise RuntimeError("the braid kernel is not running")
        msg: JsonDict = json.loads(message)
        session = msg.get("header", {}).get("session")
        if isinstance(session, str) and session:
            self._session = session
        msg["buffers"] = [_as_bytes(b) for b in buffers]
        self._connection.handle_message(msg)

    # ------------------------------------------------------------ outgoing
    def _deliver(self, msg: JsonDict) -> None:
        buffers = [bytes(b) for b in msg.pop("buffers", None) or ()]
        msg["header"] = {**(msg.get("header") or {}), "session": self._session_of(msg)}
        self._send(jsonutil.dumps(msg).decode("utf-8"), buffers)

    def _input(self, request: JsonDict) -> str:
        assert self._ask is not None
        request = {**request, "header": {**request["header"], "session": self._session_of(request)}}
        request.pop("buffers", None)
        return str(self._ask(jsonutil.dumps(request).decode("utf-8")))

    def _session_of(self, msg: JsonDict) -> str:
        """The session of the request ``msg`` answers, else of the last request seen."""
        session = (msg.get("parent_header") or {}).get("session")
        return session if isinstance(session, str) and session else self._session


def _as_bytes(buffer: Any) -> bytes:
    """A buffer as bytes: from Python, or a JavaScript typed array (Pyodide's ``to_bytes``)."""
    to_bytes = getattr(buffer, "to_bytes", None)
    return bytes(to_bytes()) if callable(to_bytes) else bytes(buffer)
