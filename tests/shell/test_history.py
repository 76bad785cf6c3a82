"""KernelHistoryManager: IPython's history, opened on first use, written without blocking the next cell."""

from __future__ import annotations

import contextlib
import datetime
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShellABC

from braid_kernel.shell import history
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


# -- opened on first use ---------------------------------------------------------------------


@pytest.fixture
def on_disk(tmp_path: Path) -> Iterator[KernelHistoryManager]:
    """A manager of ``tmp_path / "history.sqlite"``, which does not exist yet."""
    made = KernelHistoryManager(shell=_Shell(), hist_file=tmp_path / "history.sqlite")
    made.db_cache_size = 100
    yield made
    made.close()
    KernelHistoryManager._instances.discard(made)


def _select(path: Path, query: str) -> list[tuple[Any, ...]]:
    """``query``'s rows from the database file at ``path`` (none while its table does not exist)."""
    with contextlib.closing(sqlite3.connect(path)) as connection:
        try:
            return list(connection.execute(query))
        except sqlite3.OperationalError:  # no such table yet
            return []


def _sessions(path: Path) -> list[tuple[Any, ...]]:
    return _select(path, "SELECT session, start, end, num_cmds FROM sessions")


def _history(path: Path) -> list[tuple[Any, ...]]:
    return _select(path, "SELECT session, line, source FROM history ORDER BY line")


def test_a_new_manager_opens_no_database_and_starts_no_thread(on_disk: KernelHistoryManager) -> None:
    on_disk.store_inputs(1, "a = 1")  # cached: fewer than a batch
    assert not Path(on_disk.hist_file).exists()
    assert not on_disk.opened and on_disk.save_thread is None
    assert on_disk.input_hist_raw == ["", "a = 1"]  # In / _ih work without the database


def test_the_first_read_opens_it_with_a_session_that_began_with_the_manager(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite"
    manager = KernelHistoryManager(shell=_Shell(), hist_file=path)
    made = datetime.datetime.now()
    while datetime.datetime.now() <= made:  # IPython would date the session when it is opened
        pass
    try:
        number = manager.session_number
        assert manager.opened and path.exists()
        [(session, start, end, _)] = _sessions(path)
        assert session == number and end is None
        assert datetime.datetime.fromisoformat(start) <= made
        assert manager.get_session_info(0)[0] == number
    finally:
        manager.close()
        KernelHistoryManager._instances.discard(manager)


def test_the_first_batch_starts_the_marked_saving_thread_which_writes_it(
    on_disk: KernelHistoryManager,
) -> None:
    marked: list[tuple[threading.Thread, bool]] = []
    on_disk.mark_saving_thread(lambda thread: marked.append((thread, thread.is_alive())))
    on_disk.db_cache_size = 2
    on_disk.store_inputs(1, "first")
    assert not marked  # no thread yet
    on_disk.store_inputs(2, "second")
    assert marked == [(on_disk.save_thread, False)]  # marked before it started
    rows = _wait_for_history(Path(on_disk.hist_file), 2)
    assert rows == [(on_disk.session_number, 1, "first"), (on_disk.session_number, 2, "second")]


def _wait_for_history(path: Path, rows: int) -> list[tuple[Any, ...]]:
    """The file's history rows once the saving thread has written ``rows`` of them."""
    deadline = time.monotonic() + WAIT
    while not (path.exists() and len(_history(path)) >= rows) and time.monotonic() < deadline:
        time.sleep(0.01)  # the saving thread writes in the background: wait for its rows
    return _history(path) if path.exists() else []


class _Quiet:
    """The kernel's ``quiet_for`` as a test sets it; ``asked`` once the saving thread asked."""

    def __init__(self) -> None:
        self.seconds = 0.0  # busy
        self.asked = threading.Event()

    def __call__(self) -> float:
        self.asked.set()
        return self.seconds


def test_a_batch_waits_until_the_kernel_is_quiet(
    on_disk: KernelHistoryManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(history, "WRITE_WITHIN", 3600.0)  # only quiet lets it write
    quiet = _Quiet()
    on_disk.write_when_quiet(quiet)
    on_disk.db_cache_size = 2
    on_disk.store_inputs(1, "first")
    on_disk.store_inputs(2, "second")  # a batch: the saving thread starts
    assert quiet.asked.wait(WAIT)  # ... and waits, the kernel being busy
    path = Path(on_disk.hist_file)
    assert _history(path) == []
    on_disk.store_inputs(3, "third")  # cells go on storing meanwhile
    quiet.seconds = history.QUIET
    session = on_disk.session_number
    written = _wait_for_history(path, 3)
    assert written == [(session, 1, "first"), (session, 2, "second"), (session, 3, "third")]


def test_a_kernel_kept_busy_still_writes_its_batch(
    on_disk: KernelHistoryManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(history, "WRITE_WITHIN", 0.1)
    quiet = _Quiet()  # never quiet
    on_disk.write_when_quiet(quiet)
    on_disk.db_cache_size = 1
    on_disk.store_inputs(1, "busy")
    assert _wait_for_history(Path(on_disk.hist_file), 1) == [(on_disk.session_number, 1, "busy")]
    assert quiet.asked.is_set()


def test_ending_the_session_during_the_wait_writes_at_once(
    on_disk: KernelHistoryManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(history, "WRITE_WITHIN", 3600.0)
    quiet = _Quiet()
    on_disk.write_when_quiet(quiet)
    on_disk.db_cache_size = 1
    on_disk.store_inputs(1, "last")
    assert quiet.asked.wait(WAIT)
    thread = on_disk.save_thread
    on_disk.end_session()  # writes the cache itself
    on_disk.close()  # stops the waiting thread: it does not wait for the hour
    assert thread is not None and not thread.is_alive()
    [(session, _, end, commands)] = _sessions(Path(on_disk.hist_file))
    assert _history(Path(on_disk.hist_file)) == [(session, 1, "last")]
    assert end is not None and commands == 1


def test_a_thread_marked_late_is_marked_at_once(on_disk: KernelHistoryManager) -> None:
    on_disk.db_cache_size = 1
    on_disk.store_inputs(1, "x")
    marked: list[threading.Thread] = []
    on_disk.mark_saving_thread(marked.append)
    assert marked == [on_disk.save_thread]


def test_ending_a_session_that_stored_nothing_opens_no_database(on_disk: KernelHistoryManager) -> None:
    on_disk.end_session()
    assert not Path(on_disk.hist_file).exists() and not on_disk.opened


def test_ending_a_session_writes_what_was_stored(on_disk: KernelHistoryManager) -> None:
    on_disk.store_inputs(1, "kept = 1")
    on_disk.end_session()
    path = Path(on_disk.hist_file)
    [(session, _, end, commands)] = _sessions(path)
    assert _history(path) == [(session, 1, "kept = 1")]
    assert end is not None and commands == 1


def test_two_threads_opening_at_once_make_one_session(on_disk: KernelHistoryManager) -> None:
    start = threading.Barrier(2)
    numbers: list[int] = []

    def read() -> None:
        start.wait(WAIT)
        numbers.append(on_disk.session_number)

    readers = [threading.Thread(target=read) for _ in range(2)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join(WAIT)
    assert len(numbers) == 2 and numbers[0] == numbers[1]
    assert len(_sessions(Path(on_disk.hist_file))) == 1


def test_a_corrupt_file_is_moved_aside_when_the_database_opens(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite"
    path.write_bytes(b"not a database" * 100)
    manager = KernelHistoryManager(shell=_Shell(), hist_file=path)
    try:
        assert path.read_bytes().startswith(b"not a database")  # untouched until first use
        assert manager.session_number > 0
        assert [p.name for p in tmp_path.glob("history-corrupt*")] == ["history-corrupt.sqlite"]
        assert len(_sessions(path)) == 1
    finally:
        manager.close()
        KernelHistoryManager._instances.discard(manager)


def test_a_session_row_that_cannot_be_written_keeps_the_history_in_memory(
    on_disk: KernelHistoryManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    insert = KernelHistoryManager._insert_session
    failures = iter([sqlite3.OperationalError("attempt to write a readonly database")])

    def failing_once(self: KernelHistoryManager) -> int:
        for failure in failures:
            raise failure
        return insert(self)

    monkeypatch.setattr(KernelHistoryManager, "_insert_session", failing_once)
    on_disk.store_inputs(1, "still here")
    assert on_disk.session_number > 0
    assert on_disk.hist_file == ":memory:" and not on_disk.using_thread
    on_disk.writeout_cache()
    assert [source for _, _, source in on_disk.get_range(0, raw=True)] == ["still here"]
    assert _rows(on_disk)[0][2] == "still here"
