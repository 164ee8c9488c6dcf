"""Retention arithmetic: when does a period that runs from a clock end?

Periods are counted in calendar months, never in days: 31 August + 6 months is the last day
of February, as a person reading the notice would count. An instant counts by its date in
UTC, the zone every instant of gardien is stored in.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from dateutil.relativedelta import relativedelta


def add_months(start: date, months: int) -> date:
    """The same day ``months`` calendar months later, clamped to the end of a shorter month.

    ``add_months(date(2024, 8, 31), 6)`` is 28 February 2025; a negative period is refused.
    """
    if isinstance(months, bool) or not isinstance(months, int):
        raise TypeError(f"a retention period is a whole number of months, not {months!r}")
    if months < 0:
        raise ValueError(f"a retention period cannot be negative (got {months} months)")
    return start + relativedelta(months=months)


def clock_date(clock_value: date | datetime) -> date:
    """The calendar day a clock reading falls on (an instant counts by its UTC date)."""
    if isinstance(clock_value, datetime):
        if clock_value.tzinfo is not None:
            clock_value = clock_value.astimezone(UTC)
        return clock_value.date()
    return clock_value


def retention_end(clock_value: date | datetime, months: int) -> date:
    """The last day on which a record whose clock reads ``clock_value`` may still be held.

    The record expires the day after: a learner last active on 15 March 2024 under an
    18-month rule is kept through 15 September 2025 and erased from the 16th.
    """
    return add_months(clock_date(clock_value), months)


def is_expired(clock_value: date | datetime, months: int, *, today: date) -> bool:
    """True when ``today`` is past the retention end of a record with clock ``clock_value``."""
    return today > retention_end(clock_value, months)


def expiry_threshold(today: date, months: int) -> date:
    """The first clock day that is NOT yet expired on ``today``.

    Because the retention end never decreases as the clock moves later, the expired records
    are exactly those whose clock day is before this threshold. That turns "which records have
    expired?" into one range condition on an indexed column: ``clock < threshold``.
    """
    # Start from today minus the period, then step by days to the exact boundary: calendar
    # clamping (31 August + 6 months = 28 February) moves it by at most a few days.
    candidate = today - relativedelta(months=months)
    while is_expired(candidate, months, today=today):
        candidate += timedelta(days=1)
    while not is_expired(candidate - timedelta(days=1), months, today=today):
        candidate -= timedelta(days=1)
    return candidate


def first_expired_day(clock_value: date | datetime, months: int) -> date:
    """The first day on which a record with clock ``clock_value`` is expired (and swept)."""
    return retention_end(clock_value, months) + timedelta(days=1)
