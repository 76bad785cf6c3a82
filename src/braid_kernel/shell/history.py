"""The shell's history manager: IPython's, writing to SQLite without holding up cells.

IPython's ``HistoryManager.writeout_cache`` holds ``db_input_cache_lock`` for the whole SQLite
transaction (the INSERTs and the commit, which waits for the disk).  The saving thread runs it
every :data:`~braid_kernel.shell.setup.HISTORY_BATCH` cells, and the next cell's
``store_inputs`` (on the loop thread, before the cell runs) takes the same lock: that cell waited
for the disk.  :class:`KernelHistoryManager` takes the cached rows under the locks and writes them
after releasing them; what it stores, and how a clash of session numbers is handled (a new
session, one retry), is unchanged.
"""

from __future__ import annotations

import contextlib
import sqlite3
from typing import Any

from IPython.core.history import HistoryManager

Row = tuple[Any, ...]


class KernelHistoryManager(HistoryManager):  # type: ignore[misc]
    """A ``HistoryManager`` whose writes never block ``store_inputs``/``store_output``."""

    # IPython's traits, typed for mypy (annotations only: nothing is redefined).
    db_input_cache: list[Row]
    db_output_cache: list[Row]

    def writeout_cache(self, conn: sqlite3.Connection | None = None) -> None:
        if not self.enabled:
            return
        if conn is None:
            conn = self.db
        inputs: list[Row] = []
        outputs: list[Row] = []
        with self.db_input_cache_lock:
            inputs, self.db_input_cache = self.db_input_cache, inputs
        with self.db_output_cache_lock:
            outputs, self.db_output_cache = self.db_output_cache, outputs
        if inputs:
            try:
                self._insert(conn, "history", inputs)
            except sqlite3.IntegrityError:
                self.new_session(conn)
                print(
                    "ERROR! Session/line number was not unique in database.",
                    f"History logging moved to new session {self.session_number}",
                )
                with contextlib.suppress(sqlite3.IntegrityError):  # as IPython: give up on this batch
                    self._insert(conn, "history", inputs)
        if outputs:
            try:
                self._insert(conn, "output_history", outputs)
            except sqlite3.IntegrityError:
                print(
                    "!! Session/line number for output was not unique in database.",
                    "Output will not be stored.",
                )

    def _insert(self, conn: sqlite3.Connection, table: str, rows: list[Row]) -> None:
        marks = ", ".join("?" * (len(rows[0]) + 1))
        with conn:  # one transaction: committed, or rolled back on error
            conn.executemany(
                f"INSERT INTO {table} VALUES ({marks})",  # table: one of two fixed names
                [(self.session_number, *row) for row in rows],
            )
