"""The store side of retention: clocks read in SQL, expired rows selected, rows erased."""

from __future__ import annotations

from typing import Any


def rowcount(result: Any) -> int:
    """Rows a statement changed (0 when the driver cannot tell)."""
    count = getattr(result, "rowcount", 0)
    return int(count) if count and count > 0 else 0
