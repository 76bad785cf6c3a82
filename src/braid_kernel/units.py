"""Sizes as people read them: one formatter for every size the kernel shows.

Decimal units (powers of 1000), as ``--cache-size`` reads them (:func:`braid_kernel.app.config
.parse_size`: ``500MB`` is 500,000,000 bytes), so a size shown by ``%braid cache`` or
``%braid sessions`` can be given back as an option.
"""

from __future__ import annotations

_UNITS = ("B", "kB", "MB", "GB")


def format_size(size: float) -> str:
    """``size`` bytes in B, kB, MB or GB: ``"999 B"``, ``"1.5 kB"``, ``"2.0 GB"``."""
    for unit in _UNITS[:-1]:
        if size < 1000:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} {_UNITS[-1]}"
