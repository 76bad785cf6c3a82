"""Stream text is held back briefly so a loop's lines go out in few messages (pure part: the clock
is passed in, so nothing here depends on timing)."""

from __future__ import annotations

import pytest

from braid_kernel.transport.batching import (
    CHUNK_CHECK,
    PARTIAL_LINE_HOLD,
    STREAM_FLUSH_INTERVAL,
    StreamBatcher,
    stream_tail,
)
from braid_kernel.transport.outbox import MAX_STREAM_CHUNK, Item, Outgoing
from braid_kernel.wire.channels import Channel

CELL = {"msg_id": "cell-1"}
OTHER = {"msg_id": "cell-2"}
T0 = 1000.0


def _status() -> Outgoing:
    return Outgoing(Channel.IOPUB, "status", {"execution_state": "idle"}, CELL)


def _lines(start: int, stop: int, parent: dict[str, str] = CELL) -> list[Item]:
    items: list[Item] = []
    for i in range(start, stop):
        items += [(parent, "stdout", str(i)), (parent, "stdout", "\n")]
    return items


def test_the_stream_tail_is_the_trailing_run_of_any_stream_text() -> None:
    items: list[Item] = [(CELL, "stdout", "a"), _status(), (CELL, "stderr", "e"), (OTHER, "stdout", "o")]
    assert stream_tail(items) == 2
    assert stream_tail([*items, _status()]) == 5
    assert stream_tail([]) == 0


def test_text_is_held_while_the_interval_lasts_and_later_text_joins_it() -> None:
    batcher = StreamBatcher()
    first = _lines(0, 3)
    assert batcher.split(first, T0) == []
    second = _lines(3, 6)
    assert batcher.split(second, T0 + STREAM_FLUSH_INTERVAL / 2) == []
    assert batcher.held == first + second  # in order, nothing lost


def test_what_follows_held_text_sends_it_first_in_order() -> None:
    batcher = StreamBatcher()
    batcher.split(_lines(0, 2), T0)
    status = _status()
    sent = batcher.split([*_lines(2, 3), status], T0 + 0.001)
    assert sent == [*_lines(0, 3), status] and batcher.held == []
    assert batcher.next_look(T0 + 0.001) is None


def test_held_text_goes_out_when_the_interval_ends() -> None:
    batcher = StreamBatcher()
    batcher.split(_lines(0, 2), T0)
    end = T0 + STREAM_FLUSH_INTERVAL
    assert batcher.split(_lines(2, 3), end) == _lines(0, 3)
    assert batcher.held == [] and batcher.since is None
    assert batcher.split(_lines(3, 4), end + 1) == []  # the next text opens a new interval
    assert batcher.since == end + 1


def test_a_line_partial_when_the_interval_ends_waits_a_moment_for_its_end() -> None:
    batcher = StreamBatcher()
    end = T0 + STREAM_FLUSH_INTERVAL
    batcher.split([(CELL, "stderr", "done\n")], T0)
    assert batcher.split([(CELL, "stdout", "progress")], end) == [(CELL, "stderr", "done\n")]
    assert batcher.held == [(CELL, "stdout", "progress")]
    assert batcher.split([(CELL, "stdout", " 50%\n")], end + PARTIAL_LINE_HOLD / 2) == [
        (CELL, "stdout", "progress"),
        (CELL, "stdout", " 50%\n"),
    ]
    batcher.split([(CELL, "stdout", "left partial")], T0)
    assert batcher.split([], end + PARTIAL_LINE_HOLD) == [(CELL, "stdout", "left partial")]


def test_text_after_a_message_opens_a_new_interval() -> None:
    batcher = StreamBatcher()
    batcher.split(_lines(0, 1), T0)
    later = T0 + STREAM_FLUSH_INTERVAL * 0.9
    status = _status()
    assert batcher.split([status, *_lines(1, 2)], later) == [*_lines(0, 1), status]
    assert batcher.since == later and batcher.held == _lines(1, 2)


def test_interleaved_streams_and_cells_are_held_together_in_order() -> None:
    batcher = StreamBatcher()
    items: list[Item] = [(CELL, "stdout", "a\n"), (CELL, "stderr", "b\n"), (OTHER, "stdout", "c\n")]
    assert batcher.split(items, T0) == []
    assert batcher.split([], T0 + STREAM_FLUSH_INTERVAL) == items


def test_without_hold_everything_goes_out() -> None:
    batcher = StreamBatcher()
    batcher.split(_lines(0, 2), T0)
    assert batcher.split(_lines(2, 3), T0 + 0.001, hold=False) == _lines(0, 3)
    assert batcher.held == [] and batcher.next_look(T0) is None


def test_a_chunk_of_held_text_goes_out_at_once_in_whole_chunks() -> None:
    batcher = StreamBatcher()
    text = "".join(chr(ord("a") + i % 26) for i in range(MAX_STREAM_CHUNK * 2 + 100))
    pieces: list[Item] = [(CELL, "stdout", text[i : i + 1000]) for i in range(0, len(text), 1000)]
    status = _status()
    sent = batcher.split([status, *pieces], T0)
    assert sent[0] is status
    assert "".join(item[2] for item in sent[1:] if isinstance(item, tuple)) == text[: MAX_STREAM_CHUNK * 2]
    assert batcher.held == [(CELL, "stdout", text[MAX_STREAM_CHUNK * 2 :])]  # the rest
    assert batcher.split([], T0 + 0.001) == []  # the rest is still within its interval


def test_a_chunk_check_keeps_earlier_cells_text_whole() -> None:
    batcher = StreamBatcher()
    big: list[Item] = [(CELL, "stdout", "x" * MAX_STREAM_CHUNK)]
    earlier: list[Item] = [(OTHER, "stdout", "other cell\n")]
    assert batcher.split([*earlier, *big], T0) == [*earlier, *big]
    assert batcher.held == []


def test_the_next_look_is_at_the_interval_end_or_a_chunk_check() -> None:
    batcher = StreamBatcher()
    assert batcher.next_look(T0) is None
    batcher.split(_lines(0, 1), T0)
    assert batcher.next_look(T0) == pytest.approx(CHUNK_CHECK)
    assert batcher.next_look(T0 + STREAM_FLUSH_INTERVAL - CHUNK_CHECK / 2) == pytest.approx(CHUNK_CHECK / 2)
    assert batcher.next_look(T0 + STREAM_FLUSH_INTERVAL) == pytest.approx(PARTIAL_LINE_HOLD)


def test_held_text_is_counted_across_looks_until_a_chunk_fills() -> None:
    batcher = StreamBatcher()
    piece: list[Item] = [(CELL, "stdout", "y" * (MAX_STREAM_CHUNK // 4))]
    for look in range(3):
        assert batcher.split(piece, T0 + look * 0.001) == []
    assert batcher.size == 3 * (MAX_STREAM_CHUNK // 4)
    assert batcher.split(piece, T0 + 0.004) == piece * 4
    assert batcher.held == [] and batcher.size == 0


def test_a_full_tail_of_several_runs_sends_all_but_the_last_runs_rest() -> None:
    batcher = StreamBatcher()
    other: list[Item] = [(OTHER, "stdout", "o" * MAX_STREAM_CHUNK)]
    mine: list[Item] = [(CELL, "stdout", "m" * 10)]
    assert batcher.split([*other, *mine], T0) == other
    assert batcher.held == mine and batcher.size == 10


def test_held_text_goes_out_as_the_texts_written_not_as_copies() -> None:
    """An I/O thread that could not run for a while finds a loop's prints queued: the texts go
    out as they are (the sender chunks them one message at a time); only the text the chunk
    boundary falls in is cut.  Chunking here copied all of it at once (a cell printing one
    1 MiB line 450 times made the kernel allocate 450 MB)."""
    line = "z" * (MAX_STREAM_CHUNK * 3 + 7)
    items: list[Item] = [(CELL, "stdout", line), (CELL, "stdout", "\n")] * 20
    batcher = StreamBatcher()
    sent = batcher.split(items, T0)
    texts = [item[2] for item in sent if isinstance(item, tuple)]
    assert sum(text is line for text in texts) == 19  # the last line is the one cut
    total = 20 * (len(line) + 1)
    assert len("".join(texts)) == total - total % MAX_STREAM_CHUNK
    held = [item[2] for item in batcher.held if isinstance(item, tuple)]
    assert batcher.size == total % MAX_STREAM_CHUNK == len("".join(held))
