"""Where on its retention clock each demo contract sits, relative to the day of generation.

A stage pins one date of a contract inside a window counted back from ``today``: either the
last activity of its learners, or the end of the contract itself (which drives the sponsor's
18 months, the OPCO's 72 months and, through the invoice, the 120 months). Windows sit a few
days inside or outside a period's end, so a sweep run on ``today`` finds both sides of it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from dateutil.relativedelta import relativedelta


class Stage(StrEnum):
    """How far a contract and its learners are along their retention clocks."""

    ACTIVE = "active"  # active in the last ten weeks; contract still running
    DORMANT = "dormant"  # 3 to 16 months without activity
    EXPIRING = "expiring"  # 17 to 18 months without activity: erased within four weeks
    EXPIRED = "expired"  # just past 18 months: erasure is due
    LONG_GONE = "long_gone"  # 2 to 5 years without activity
    SPONSOR_EXPIRING = "sponsor_expiring"  # contract ended a little under 18 months ago
    SPONSOR_EXPIRED = "sponsor_expired"  # contract ended a little over 18 months ago
    OPCO_EXPIRING = "opco_expiring"  # training ended a little under 72 months ago
    OPCO_EXPIRED = "opco_expired"  # training ended a little over 72 months ago
    # Invoices run from the close of their financial year (31 December in the default policy):
    # issued early in the year whose close + 120 months is still ahead, or late in the one before.
    INVOICE_EXPIRING = "invoice_expiring"
    INVOICE_EXPIRED = "invoice_expired"


@dataclass(frozen=True, slots=True)
class Window:
    """Which date a stage pins, and its range as (months back, day offset) from ``today``."""

    pins_contract_end: bool
    months: int
    first_day: int
    last_day: int
    # Count the days from the first of January of the anchor's year (invoices: their clock is
    # the close of the financial year, not the day they were issued).
    from_year_start: bool = False

    def draw(self, rng: random.Random, today: date) -> date:
        anchor = today - relativedelta(months=self.months)
        if self.from_year_start:
            anchor = date(anchor.year, 1, 1)
        return anchor + timedelta(days=rng.randint(self.first_day, self.last_day))


# Offsets stay within 27 days so a window never spills into the neighbouring month's clamp.
_NEAR = (1, 27)
_PAST = (-27, -1)

WINDOWS: dict[Stage, Window] = {
    Stage.ACTIVE: Window(False, 0, -75, -1),
    Stage.DORMANT: Window(False, 3, -395, -1),
    Stage.EXPIRING: Window(False, 18, *_NEAR),
    Stage.EXPIRED: Window(False, 18, *_PAST),
    Stage.LONG_GONE: Window(False, 24, -1095, -1),
    Stage.SPONSOR_EXPIRING: Window(True, 18, *_NEAR),
    Stage.SPONSOR_EXPIRED: Window(True, 18, *_PAST),
    Stage.OPCO_EXPIRING: Window(True, 72, *_NEAR),
    Stage.OPCO_EXPIRED: Window(True, 72, *_PAST),
    Stage.INVOICE_EXPIRING: Window(True, 120, *_NEAR, from_year_start=True),
    Stage.INVOICE_EXPIRED: Window(True, 120, *_PAST, from_year_start=True),
}

# How often a randomly planned contract lands on each stage. The edge stages are rare but
# present at every size, so a benchmark database has expiring records in every table.
STAGE_WEIGHTS: dict[Stage, int] = {
    Stage.ACTIVE: 300,
    Stage.DORMANT: 330,
    Stage.EXPIRING: 50,
    Stage.EXPIRED: 50,
    Stage.LONG_GONE: 220,
    Stage.SPONSOR_EXPIRING: 12,
    Stage.SPONSOR_EXPIRED: 12,
    Stage.OPCO_EXPIRING: 8,
    Stage.OPCO_EXPIRED: 8,
    Stage.INVOICE_EXPIRING: 5,
    Stage.INVOICE_EXPIRED: 5,
}


def at_random_time(rng: random.Random, day: date) -> datetime:
    """An instant on ``day`` during working hours (UTC), to the second."""
    seconds = rng.randint(7 * 3600, 21 * 3600)
    return datetime.combine(day, time(0, 0), tzinfo=UTC) + timedelta(seconds=seconds)


def between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """An instant in ``[start, end]``, to the second."""
    span = max(0, int((end - start).total_seconds()))
    return start + timedelta(seconds=rng.randint(0, span))


def days(n: int) -> timedelta:
    """Shorthand used throughout the generator's date arithmetic."""
    return timedelta(days=n)
