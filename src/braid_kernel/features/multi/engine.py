"""Multi mode's bookkeeping: which client connection runs in which session, and how busy each is.

In multi mode one kernel process serves many notebooks.  Every client connection says who it is
in the ``session`` field of its message headers (the *client id*); the kernel gives each client
id a session of its own (namespace, execution count, scheduler, comms...; built in
:mod:`braid_kernel.features.multi.shell.sessions`).  This module holds the parts that need no IPython:

* :class:`SessionTable` — client ids and names to sessions, thread-safe (the I/O and control
  threads look sessions up while the main loop creates and frees them).  Several client ids may
  share one session: ``%braid session attach NAME`` binds a new connection (after a page reload)
  to a named one;
* :class:`Activity` — when a session was last used, what it runs, how long its code held the
  main thread;
* :class:`MainThreadSampler` — a thread that looks at the main thread's stack ten times a second
  and charges the time to the session whose cell is on it: a cell that blocks the main thread
  delays every session, and this is how ``%braid sessions`` shows who does it;
* :func:`estimate_size` — a bounded estimate of the memory a namespace's values hold.
"""

from __future__ import annotations

import gc
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import BuiltinFunctionType, FrameType, FunctionType, ModuleType
from typing import Any, Generic, TypeVar

from braid_kernel.routing import platform

log = logging.getLogger("braid_kernel.sessions")

S = TypeVar("S")

SAMPLE_INTERVAL = 0.1  # seconds between two looks at the main thread's stack
HOLD_WARNING = 2.0  # a session holding the main thread this long is logged (once per hold)
SIZE_LIMIT = 200_000  # objects visited at most by one estimate_size


@dataclass(slots=True)
class Activity:
    """How a session is used; updated on the main loop, read from any thread."""

    created: float
    last_active: float
    requests: int = 0  # requests of the session being handled now
    cells_run: int = 0  # execute_requests handled (silent ones included)
    held: float = 0.0  # seconds its code held the main thread (sampled)
    holding_since: float | None = None  # set while its code holds the main thread

    @classmethod
    def starting(cls, now: float) -> Activity:
        return cls(created=now, last_active=now)

    def begin(self, now: float) -> None:
        self.requests += 1
        self.last_active = now

    def end(self, now: float) -> None:
        self.requests -= 1
        self.last_active = now

    def idle_for(self, now: float) -> float:
        """Seconds since the session last did anything; 0 while it handles a request."""
        return 0.0 if self.requests > 0 else max(0.0, now - self.last_active)


class SessionTable(Generic[S]):
    """Client ids and names → sessions.  A session is any object; thread-safe."""

    def __init__(self) -> None:
        self._by_client: dict[str, S] = {}
        self._names: dict[str, S] = {}
        self._order: dict[int, S] = {}  # id(session) -> session, in creation order
        self._lock = threading.Lock()

    def get(self, client: str) -> S | None:
        with self._lock:
            return self._by_client.get(client)

    def add(self, client: str, session: S) -> None:
        """A new session, first used by ``client``."""
        with self._lock:
            self._by_client[client] = session
            self._order[id(session)] = session

    def bind(self, client: str, session: S) -> S | None:
        """Let ``client``'s requests run in ``session`` from now on; the session it used before
        (or None)."""
        with self._lock:
            previous = self._by_client.get(client)
            self._by_client[client] = session
            return previous if previous is not session else None

    def clients(self, session: S) -> list[str]:
        with self._lock:
            return [client for client, s in self._by_client.items() if s is session]

    def name_of(self, session: S) -> str | None:
        with self._lock:
            return next((name for name, s in self._names.items() if s is session), None)

    def named(self, name: str) -> S | None:
        with self._lock:
            return self._names.get(name)

    def set_name(self, session: S, name: str) -> S | None:
        """Give ``session`` the name (dropping its old one).  When another session has it, nothing
        changes and that session is returned."""
        with self._lock:
            holder = self._names.get(name)
            if holder is not None and holder is not session:
                return holder
            for old in [n for n, s in self._names.items() if s is session]:
                del self._names[old]
            self._names[name] = session
            return None

    def remove(self, session: S) -> None:
        """Forget ``session``: its client ids, its name."""
        with self._lock:
            for client in [c for c, s in self._by_client.items() if s is session]:
                del self._by_client[client]
            for name in [n for n, s in self._names.items() if s is session]:
                del self._names[name]
            self._order.pop(id(session), None)

    def sessions(self) -> list[S]:
        """Every session, oldest first."""
        with self._lock:
            return list(self._order.values())

    def __len__(self) -> int:
        with self._lock:
            return len(self._order)


@dataclass(frozen=True, slots=True)
class SessionRow:
    """One line of ``%braid sessions``."""

    id: str  # the client id that created the session (shortened)
    name: str | None
    clients: int  # client ids bound to it now
    cells_run: int
    running: tuple[int, ...]  # execution counts running now
    idle: float  # seconds
    held: float  # seconds its code held the main thread
    holding_now: bool
    memory: int  # bytes (estimate)
    caller: bool  # the session of the cell asking


def idle_longer_than(activities: Mapping[S, Activity], timeout: float, now: float) -> list[S]:
    """The sessions that have done nothing for more than ``timeout`` seconds."""
    return [session for session, activity in activities.items() if activity.idle_for(now) > timeout]


class MainThreadSampler:
    """Charges main-thread time to the session whose cell holds it (a daemon thread).

    ``owner(globals)`` maps a cell frame's globals (a session's namespace) to that session's
    :class:`Activity` and a label for the log, or None; ``is_cell(filename)`` says whether a code
    object is a cell's.  Stopped with :meth:`stop`.
    """

    def __init__(
        self,
        owner: Callable[[dict[str, Any]], tuple[Activity, str] | None],
        is_cell: Callable[[str], bool],
        interval: float = SAMPLE_INTERVAL,
    ) -> None:
        self._owner = owner
        self._is_cell = is_cell
        self._interval = interval
        self._main = threading.main_thread().ident
        self._stop = threading.Event()
        self._holding: Activity | None = None
        self._warned = False
        self.thread = threading.Thread(target=self._run, name="braid-session-sampler", daemon=True)

    def start(self) -> None:
        if not platform.CAN_START_THREADS:  # Pyodide: no time charged, no "holding" warnings
            log.info("session sampler not started: %s", platform.NO_THREADS)
            return
        self.thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        last = time.monotonic()
        while not self._stop.wait(self._interval):
            now = time.monotonic()
            try:
                self.sample(sys._current_frames().get(self._main or -1), now - last, now)
            except Exception:  # a sampler must never die of a racing frame
                log.debug("session sampler: skipped a sample", exc_info=True)
            last = now

    def sample(self, frame: FrameType | None, elapsed: float, now: float) -> None:
        """Charge ``elapsed`` seconds to the session whose cell runs in ``frame``'s stack."""
        found = self._cell_owner(frame)
        activity, label = found if found is not None else (None, "")
        if activity is not self._holding:
            if self._holding is not None:
                self._holding.holding_since = None
            self._holding, self._warned = activity, False
            if activity is not None:
                activity.holding_since = now - elapsed
        if activity is None:
            return
        activity.held += elapsed
        since = activity.holding_since if activity.holding_since is not None else now
        if not self._warned and now - since >= HOLD_WARNING:
            self._warned = True
            log.warning(
                "session %s has held the main thread for %.1fs: the other sessions wait (interrupt it, "
                "or make the cell await instead of blocking)",
                label,
                now - since,
            )

    def _cell_owner(self, frame: FrameType | None) -> tuple[Activity, str] | None:
        while frame is not None:
            code = frame.f_code
            if code.co_name == "<module>" and self._is_cell(code.co_filename):
                return self._owner(frame.f_globals)
            frame = frame.f_back
        return None


_SKIPPED = (ModuleType, type, FunctionType, BuiltinFunctionType)


def estimate_size(values: Iterable[Any], limit: int = SIZE_LIMIT) -> int:
    """Bytes held by ``values`` and what they contain (a bounded, shallow-per-object estimate).

    Follows containers and instance attributes (``gc.get_referents``), counting each object
    once with ``sys.getsizeof`` (which includes what numpy arrays and pandas frames report for
    their data); modules, classes and functions are not followed (they are shared with the
    process, and a function's globals are the namespace itself).  Stops after ``limit`` objects.
    """
    seen: set[int] = set()
    total = 0
    pending = [v for v in values if not isinstance(v, _SKIPPED)]
    while pending and len(seen) < limit:
        obj = pending.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        try:
            total += sys.getsizeof(obj)
        except Exception:
            continue
        pending.extend(r for r in gc.get_referents(obj) if not isinstance(r, _SKIPPED) and id(r) not in seen)
    return total
