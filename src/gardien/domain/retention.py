"""Retention arithmetic: when does a period that runs from a clock end?

Periods are counted in calendar months, never in days: 31 August + 6 months is the last day
of February, as a person reading the notice would count.
"""

from __future__ import annotations

from datetime import date, datetime

from dateutil.relativedelta import relativedelta


def add_months(start: date, months: int) -> date:
    """The same day ``months`` calendar months later, clamped to the end of a shorter month."""
    if months < 0:
        raise ValueError("a retention period cannot be negative")
    return start + relativedelta(months=months)


def retention_end(clock_value: date | datetime, months: int) -> date:
    """The last day on which a record whose clock reads ``clock_value`` may still be held.

    The record expires the day after: a learner last active on 15 March 2024 under an
    18-month rule is kept through 15 September 2025 and erased from the 16th.
    """
    start = clock_value.date() if isinstance(clock_value, datetime) else clock_value
    return add_months(start, months)


def is_expired(clock_value: date | datetime, months: int, *, today: date) -> bool:
    """True when ``today`` is past the retention end of a record with clock ``clock_value``."""
    return today > retention_end(clock_value, months)
