"""KernelHistoryManager: IPython's history rows, written without blocking the next cell."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from types import TracebackType
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShellABC

from braid_kernel.shell.history import KernelHistoryManager

WAIT = 10.0


class _Shell:
    """What a history manager uses of its shell: ``push`` (of ``_i``, ``_ii``...)."""

    def push(self, variables: dict[str, Any], interactive: bool = True) -> None:
        pass


InteractiveShellABC.register(_Shell)


@pytest.fixture
def manager() -> Iterator[KernelHistoryManager]:
    made = KernelHistoryManager(shell=_Shell(), hist_file=":memory:")
    made.db_cache_size = 100  # nothing is written unless the test asks
    yield made
    made.db.close()
    KernelHistoryManager._instances.discard(made)


def _rows(manager: KernelHistoryManager, table: str = "history") -> list[tuple[Any, ...]]:
    return list(manager.db.execute(f"SELECT * FROM {table} ORDER BY line"))


def test_cached_inputs_and_outputs_are_written(manager: KernelHistoryManager) -> None:
    manager.db_log_output = True
    manager.store_inputs(1, "x = 1")
    manager.store_inputs(2, "x", "x")
    manager.output_hist_reprs[2] = "1"
    manager.store_output(2)
    manager.writeout_cache()
    session = manager.session_number
    assert _rows(manager) == [(session, 1, "x = 1", "x = 1"), (session, 2, "x", "x")]
    assert _rows(manager, "output_history") == [(session, 2, "1")]
    assert manager.db_input_cache == [] and manager.db_output_cache == []


def test_a_clashing_line_number_moves_to_a_new_session(
    manager: KernelHistoryManager, capsys: pytest.CaptureFixture[str]
) -> None:
    manager.store_inputs(1, "first")
    manager.writeout_cache()
    first_session = manager.session_number
    manager.store_inputs(1, "again")  # same session and line: the primary key clashes
    manager.writeout_cache()
    assert manager.session_number == first_session + 1
    assert (manager.session_number, 1, "again", "again") in _rows(manager)
    assert "new session" in capsys.readouterr().out


class _SlowConnection:
    """A connection whose INSERT waits until released, as a commit waits for the disk."""

    def __init__(self) -> None:
        self.writing = threading.Event()
        self.release = threading.Event()

    def __enter__(self) -> _SlowConnection:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        pass

    def executemany(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        self.writing.set()
        assert self.release.wait(WAIT)


def test_storing_the_next_cell_does_not_wait_for_a_write(manager: KernelHistoryManager) -> None:
    manager.store_inputs(1, "a")
    slow = _SlowConnection()
    writer = threading.Thread(target=manager.writeout_cache, args=(slow,), daemon=True)
    writer.start()
    try:
        assert slow.writing.wait(WAIT)
        stored = threading.Thread(target=manager.store_inputs, args=(2, "b"), daemon=True)
        stored.start()
        stored.join(WAIT)
        assert not stored.is_alive(), "store_inputs waited for the write to finish"
        assert not slow.release.is_set() and writer.is_alive()  # the write is still going on
        assert manager.db_input_cache == [(2, "b", "b")]
    finally:
        slow.release.set()
        writer.join(WAIT)


def test_a_disabled_history_writes_nothing(manager: KernelHistoryManager) -> None:
    manager.store_inputs(1, "a")
    manager.enabled = False
    manager.writeout_cache()
    manager.enabled = True
    assert _rows(manager) == []
    assert isinstance(manager.db, sqlite3.Connection)
