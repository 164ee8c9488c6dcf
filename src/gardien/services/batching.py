"""How many records a sweep's next batch takes: a fixed number, or as many as fit a time budget.

A batch is one transaction. Small ones cost SQLite dearly: each commit writes again the index
pages that the previous batch already dirtied (statement ids are random keys, so a batch of
deletions touches pages all over their index). Large ones hold the write lock longer (SQLite
has one for the whole file). A time budget settles it for the machine and the file at hand: the
batch grows while batches end well within the budget and shrinks when one overruns it, never
beyond ``maximum`` records, never by more than a factor of two from one batch to the next.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# The first batch of an adaptive sweep: small enough to end quickly on any machine.
FIRST_ADAPTIVE_BATCH = 100


@dataclass(frozen=True)
class BatchSizing:
    """``maximum`` records per batch; with ``target_seconds``, sized to last about that long."""

    maximum: int
    target_seconds: float | None = None

    def __post_init__(self) -> None:
        if self.maximum < 1:
            raise ValueError("the batch size must be at least 1")
        if self.target_seconds is not None and not self.target_seconds > 0:
            raise ValueError("the batch time budget must be positive")

    def first(self) -> int:
        """The size of the first batch."""
        if self.target_seconds is None:
            return self.maximum
        return min(self.maximum, FIRST_ADAPTIVE_BATCH)

    def following(self, size: int, seconds: float) -> int:
        """The size of the batch after one of ``size`` records that took ``seconds``."""
        if self.target_seconds is None:
            return self.maximum
        # Bounded first, then rounded: a batch that took next to no time would overflow.
        factor = 2.0 if seconds <= 0 else min(2.0, self.target_seconds / seconds)
        bounded = max(math.ceil(size / 2), math.floor(size * factor))
        return max(1, min(self.maximum, bounded))
