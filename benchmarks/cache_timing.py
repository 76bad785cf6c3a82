"""What the cache benchmarks share: a cell's round trip as a frontend sees it
(execute_request → execute_reply), and one cell timed with cache mode off, on a miss and on a hit.

Imported by ``cache_bench.py`` and ``cache_dataframe.py`` (run from the repository root as
``python benchmarks/<name>.py``: this folder is then first on ``sys.path``).
"""

from __future__ import annotations

import statistics
import time
from typing import Any, NamedTuple


class OffMissHit(NamedTuple):
    """Seconds per run of one cell: cache mode off, a miss (the store emptied first), a hit."""

    off: list[float]
    misses: list[float]
    hits: list[float]


def round_trip(kc: Any, code: str, timeout: float = 600.0) -> tuple[float, dict[str, Any]]:
    """Seconds from execute_request to its execute_reply, and the reply's metadata."""
    begin = time.perf_counter()
    msg_id = kc.execute(code)
    while True:
        reply = kc.get_shell_msg(timeout=timeout)
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    elapsed = time.perf_counter() - begin
    assert reply["content"]["status"] == "ok", reply["content"]
    return elapsed, reply["metadata"]


def off_miss_hit(kc: Any, code: str, rounds: int) -> OffMissHit:
    """``code`` run ``rounds`` times with cache mode off, then ``rounds`` miss/hit pairs; cache
    mode is left on."""
    round_trip(kc, "%braid cache off")
    off = [round_trip(kc, code)[0] for _ in range(rounds)]
    round_trip(kc, "%braid cache on")
    misses, hits = [], []
    for _ in range(rounds):
        round_trip(kc, "%braid cache clear")
        elapsed, meta = round_trip(kc, code)
        assert meta["braid"]["cache"] == "miss", meta
        misses.append(elapsed)
        round_trip(kc, "%braid cache info")  # waits until the entry is on disk: the hit reads it
        elapsed, meta = round_trip(kc, code)
        assert meta["braid"]["cache"] == "hit", meta
        hits.append(elapsed)
    return OffMissHit(off, misses, hits)


def median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000
