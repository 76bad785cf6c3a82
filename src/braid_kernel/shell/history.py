"""The shell's history manager: IPython's, opened on first use and written without holding up cells.

**Opened on first use.**  IPython's ``HistoryManager`` opens its SQLite database when it is created:
it imports ``sqlite3``, connects, creates the tables, inserts and commits the session's row, and
starts a saving thread with a second connection.  That is ~1.5 MB and ~20 ms of every kernel's
start, before a cell ran; and a kernel writes history in batches anyway (every
:data:`~braid_kernel.shell.setup.HISTORY_BATCH` cells, before a history request, at exit).
:class:`KernelHistoryManager` does all of it on the database's first use: the first read of ``db``
or ``session_number`` (a ``history_request``, ``%history``, ``%rerun``...), the first batch
written, the end of the session.  The session's row gets the time the manager was made, as
IPython's does; a kernel that stored no input leaves no session row.  The saving thread starts
with the first batch (IPython's ``_restart_thread_if_stopped``, as after a fork); what it should
be marked with (the debugger's "kernel machinery") is given by :meth:`mark_saving_thread`.

**Writes never hold up a cell.**  IPython's ``HistoryManager.writeout_cache`` holds
``db_input_cache_lock`` for the whole SQLite transaction (the INSERTs and the commit, which waits
for the disk), and the next cell's ``store_inputs`` (on the loop thread, before the cell runs)
takes the same lock: that cell waited for the disk.  :meth:`KernelHistoryManager.writeout_cache`
takes the cached rows under the locks and writes them after releasing them; what it stores, and
how a clash of session numbers is handled (a new session, one retry), is unchanged.

**Batches are written when the kernel is quiet.**  The saving thread's INSERTs and commit take the
GIL and a core while the cell that filled the batch is still being answered: that cell's round
trip was ~0.5 ms longer, one cell in :data:`~braid_kernel.shell.setup.HISTORY_BATCH` (the p99 of a
run of short cells).  Given :meth:`KernelHistoryManager.write_when_quiet`, the saving thread waits
until no request has been in flight for :data:`QUIET` (at most :data:`WRITE_WITHIN`, so a kernel
kept busy still writes) before writing; a history request and the end of the session write at
once, as before.
"""

from __future__ import annotations

import contextlib
import datetime
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from IPython.core.history import HistoryAccessor, HistoryManager, HistorySavingThread

if TYPE_CHECKING:
    import sqlite3

Row = tuple[Any, ...]
ThreadMark = Callable[[threading.Thread], object]
#: Seconds the kernel has been quiet (no request in flight, none arrived).
QuietFor = Callable[[], float]

QUIET = 0.05  # seconds without requests before the saving thread writes a batch
WRITE_WITHIN = 2.0  # seconds after the batch filled: written by then, quiet or not


def _sqlite3() -> Any:
    import sqlite3  # loaded with the database, not with the kernel

    return sqlite3


class KernelHistoryManager(HistoryManager):  # type: ignore[misc]
    """A ``HistoryManager`` that opens its database on first use and whose writes never block
    ``store_inputs``/``store_output``."""

    # IPython's traits, typed for mypy (annotations only: nothing is redefined).
    db_input_cache: list[Row]
    db_output_cache: list[Row]
    hist_file: Any  # a Path, or ":memory:"
    save_thread: Any  # IPython's HistorySavingThread, or None

    def __init__(self, shell: Any = None, config: Any = None, **traits: Any) -> None:
        self._connection: Any = None  # IPython's ``db``: a Connection, or its DummyDB when disabled
        self._session = 0
        self._opened = False
        self._opening = threading.RLock()
        self._in_open = False
        self._deferred = True  # the init_db that IPython's constructor calls waits for first use
        self._started = datetime.datetime.now().isoformat(" ")  # the session row's start, as IPython's
        self._thread_marks: list[ThreadMark] = []
        self._quiet_for: QuietFor | None = None
        # IPython's HistoryManager.__init__ opens the database and starts the saving thread; its
        # parent's names the file (and calls init_db, deferred below).
        HistoryAccessor.__init__(self, shell=shell, config=config, **traits)
        self._deferred = False
        self.db_input_cache_lock = threading.Lock()
        self.db_output_cache_lock = threading.Lock()
        self.using_thread = self.hist_file != ":memory:"  # started by the first batch
        self._instances.add(self)

    # -- opened on first use ------------------------------------------------------------------

    @property
    def db(self) -> Any:
        """The connection (IPython's trait of this name), opened on first use."""
        self._open()
        return self._connection

    @db.setter
    def db(self, connection: Any) -> None:
        self._connection = connection

    @property
    def session_number(self) -> int:
        """This session's number in the database (IPython's trait of this name): opens it."""
        self._open()
        return self._session

    @session_number.setter
    def session_number(self, number: int) -> None:
        self._session = number

    @property
    def opened(self) -> bool:
        """Whether the database has been opened."""
        return self._opened

    def init_db(self) -> None:
        if self._deferred:
            return  # IPython's constructor: the database opens on first use
        super().init_db()

    def _open(self) -> None:
        if self._opened:
            return
        with self._opening:  # the saving thread and the loop thread may both come first
            if self._opened or self._in_open:
                return  # opened meanwhile, or this thread is opening it (IPython's init_db reads db)
            self._in_open = True
            try:
                self._connect()
            finally:
                self._in_open = False
            self._opened = True

    def _connect(self) -> None:
        self.init_db()  # IPython's: connects, creates the tables, moves a corrupt file aside
        if not self.enabled:
            return
        try:
            self._session = self._insert_session()
        except _sqlite3().OperationalError:  # as IPython's constructor: this session's history in memory
            self.log.error(
                "Failed to create history session in %s. History will not be saved.",
                self.hist_file,
                exc_info=True,
            )
            self._stop_saving_thread()
            self.using_thread = False
            self._connection.close()
            self.hist_file = ":memory:"
            self.init_db()
            self._session = self._insert_session()

    def _insert_session(self) -> int:
        with self._connection as connection:
            cursor = connection.execute(
                "INSERT INTO sessions VALUES (NULL, ?, NULL, NULL, '')", (self._started,)
            )
        return int(cursor.lastrowid)

    def end_session(self) -> None:
        if not self._opened and not self.db_input_cache and not self.db_output_cache:
            return  # nothing was stored: no database to open, no session row to end
        super().end_session()

    def close(self) -> None:
        """Stop the saving thread and close the connection (newer IPythons call this at exit): a
        database never opened is not opened to be closed."""
        self._stop_saving_thread()
        if self._opened:
            self._connection.close()

    # -- the saving thread --------------------------------------------------------------------

    def mark_saving_thread(self, mark: ThreadMark) -> None:
        """Call ``mark`` with the saving thread before it starts (at once, if one was started)."""
        self._thread_marks.append(mark)
        if self.save_thread is not None:
            mark(self.save_thread)

    def write_when_quiet(self, quiet_for: QuietFor) -> None:
        """Have the saving thread write each batch once ``quiet_for()`` reaches :data:`QUIET`."""
        self._quiet_for = quiet_for

    def _wait_until_quiet(self, thread: HistorySavingThread) -> None:
        """On the saving thread: return once the kernel is quiet, :data:`WRITE_WITHIN` has passed,
        or the thread is stopped (looking every :data:`QUIET` at most: no wake-up per cell)."""
        quiet_for = self._quiet_for
        if quiet_for is None or not isinstance(thread, _SavingThread):
            return
        deadline = time.monotonic() + WRITE_WITHIN
        while not thread.stopping.is_set():
            quiet, left = quiet_for(), deadline - time.monotonic()
            if quiet >= QUIET or left <= 0:
                return
            thread.stopping.wait(min(QUIET - quiet, left))

    def _stop_saving_thread(self) -> None:
        thread, self.save_thread = self.save_thread, None
        if thread is not None:
            thread.stop()

    def _restart_thread_if_stopped(self) -> None:
        """IPython's (the first batch, or the first after a fork), marked before it starts."""
        if self.save_thread is None and self.using_thread and self.enabled:
            thread = _SavingThread(self)
            for mark in self._thread_marks:
                mark(thread)
            self.save_thread = thread
            thread.start()

    # -- writing ------------------------------------------------------------------------------

    def writeout_cache(self, conn: sqlite3.Connection | None = None) -> None:
        if not self.enabled:
            return
        thread = self.save_thread
        if conn is None:
            conn = self.db
        elif thread is not None and threading.current_thread() is thread:
            self._wait_until_quiet(thread)
        inputs: list[Row] = []
        outputs: list[Row] = []
        with self.db_input_cache_lock:
            inputs, self.db_input_cache = self.db_input_cache, inputs
        with self.db_output_cache_lock:
            outputs, self.db_output_cache = self.db_output_cache, outputs
        integrity_error = _sqlite3().IntegrityError
        if inputs:
            try:
                self._insert(conn, "history", inputs)
            except integrity_error:
                self.new_session(conn)
                print(
                    "ERROR! Session/line number was not unique in database.",
                    f"History logging moved to new session {self.session_number}",
                )
                with contextlib.suppress(integrity_error):  # as IPython: give up on this batch
                    self._insert(conn, "history", inputs)
        if outputs:
            try:
                self._insert(conn, "output_history", outputs)
            except integrity_error:
                print(
                    "!! Session/line number for output was not unique in database.",
                    "Output will not be stored.",
                )

    def _insert(self, conn: sqlite3.Connection, table: str, rows: list[Row]) -> None:
        marks = ", ".join("?" * (len(rows[0]) + 1))
        session = self.session_number  # opens the database when the saving thread writes first
        with conn:  # one transaction: committed, or rolled back on error
            conn.executemany(
                f"INSERT INTO {table} VALUES ({marks})",  # table: one of two fixed names
                [(session, *row) for row in rows],
            )


class _SavingThread(HistorySavingThread):  # type: ignore[misc]
    """IPython's saving thread, whose stop also ends a wait for a quiet moment."""

    def __init__(self, history_manager: HistoryManager) -> None:
        super().__init__(history_manager)
        self.stopping = threading.Event()

    def stop(self) -> None:
        self.stopping.set()
        super().stop()
