"""format_size: one formatter, decimal units, as --cache-size parses them."""

from __future__ import annotations

import pytest

from braid_kernel.app.config import parse_size
from braid_kernel.units import format_size


@pytest.mark.parametrize(
    ("size", "shown"),
    [
        (0, "0 B"),
        (999, "999 B"),
        (1000, "1.0 kB"),
        (1024, "1.0 kB"),
        (1500, "1.5 kB"),
        (2_000_000, "2.0 MB"),
        (3 * 10**9, "3.0 GB"),
        (5 * 10**12, "5000.0 GB"),
    ],
)
def test_sizes_are_shown_in_decimal_units(size: int, shown: str) -> None:
    assert format_size(size) == shown


def test_a_shown_size_reads_back_as_the_same_size() -> None:
    assert parse_size(format_size(2_500_000_000).replace(" ", "")) == 2_500_000_000
