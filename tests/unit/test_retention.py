"""Retention arithmetic in calendar months, as a person reading the notice would count."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gardien.domain.retention import (
    add_months,
    clock_date,
    expiry_threshold,
    first_expired_day,
    is_expired,
    retention_end,
)

DAYS = st.dates(min_value=date(1990, 1, 1), max_value=date(2200, 12, 31))
MONTHS = st.integers(min_value=0, max_value=1200)


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (date(2024, 8, 31), 6, date(2025, 2, 28)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2023, 8, 31), 6, date(2024, 2, 29)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2024, 3, 31), 1, date(2024, 4, 30)),
        (date(2024, 3, 15), 18, date(2025, 9, 15)),
        (date(2024, 12, 31), 120, date(2034, 12, 31)),
        (date(2024, 6, 30), 72, date(2030, 6, 30)),
        (date(2024, 5, 17), 0, date(2024, 5, 17)),
    ],
)
def test_add_months(start: date, months: int, end: date) -> None:
    assert add_months(start, months) == end


def test_a_negative_period_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot be negative"):
        add_months(date(2024, 1, 1), -1)


@pytest.mark.parametrize("months", [1.5, "18", True, None])
def test_a_period_is_a_whole_number_of_months(months: object) -> None:
    with pytest.raises(TypeError, match="whole number of months"):
        add_months(date(2024, 1, 1), months)  # type: ignore[arg-type]


def test_retention_end_of_an_instant_counts_its_utc_date() -> None:
    late_evening = datetime(2024, 3, 15, 23, 30, tzinfo=UTC)
    assert retention_end(late_evening, 18) == date(2025, 9, 15)
    # 00:30 in Paris (UTC+1) on 16 March is still 15 March in UTC, where instants are stored.
    paris = datetime(2024, 3, 16, 0, 30, tzinfo=timezone(timedelta(hours=1)))
    assert clock_date(paris) == date(2024, 3, 15)
    assert retention_end(date(2024, 3, 15), 18) == date(2025, 9, 15)


def test_a_record_expires_the_day_after_its_retention_end() -> None:
    last_activity = date(2024, 3, 15)
    assert not is_expired(last_activity, 18, today=date(2025, 9, 14))
    assert not is_expired(last_activity, 18, today=date(2025, 9, 15))
    assert is_expired(last_activity, 18, today=date(2025, 9, 16))


def test_zero_months_expires_the_next_day() -> None:
    unsubscribed = datetime(2025, 1, 10, 8, 0, tzinfo=UTC)
    assert not is_expired(unsubscribed, 0, today=date(2025, 1, 10))
    assert is_expired(unsubscribed, 0, today=date(2025, 1, 11))


@given(DAYS, MONTHS)
def test_the_end_is_never_before_the_start(start: date, months: int) -> None:
    end = add_months(start, months)
    assert end >= start
    assert (end.year - start.year) * 12 + end.month - start.month == months
    assert end.day <= start.day


@given(DAYS, DAYS, MONTHS)
def test_later_starts_never_end_earlier(first: date, second: date, months: int) -> None:
    early, late = sorted([first, second])
    assert add_months(early, months) <= add_months(late, months)


@given(DAYS, MONTHS, MONTHS)
def test_longer_periods_never_end_earlier(start: date, first: int, second: int) -> None:
    short, long = sorted([first, second])
    assert add_months(start, short) <= add_months(start, long)


@given(
    clock=st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31)),
    today=st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)),
    months=st.integers(min_value=0, max_value=240),
)
def test_the_threshold_separates_expired_from_kept(clock: date, today: date, months: int) -> None:
    """No record is purged before its promised date, none survives after it."""
    threshold = expiry_threshold(today, months)
    assert is_expired(clock, months, today=today) == (clock < threshold)


@given(
    clock=st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31)),
    months=st.integers(min_value=0, max_value=240),
)
def test_a_record_is_first_expired_the_day_after_its_end(clock: date, months: int) -> None:
    day = first_expired_day(clock, months)
    assert is_expired(clock, months, today=day)
    assert not is_expired(clock, months, today=day - timedelta(days=1))
    assert day == retention_end(clock, months) + timedelta(days=1)


@pytest.mark.parametrize(
    ("today", "months", "threshold"),
    [
        (date(2025, 3, 1), 6, date(2024, 9, 1)),
        (date(2025, 2, 28), 6, date(2024, 8, 28)),
        (date(2026, 3, 1), 18, date(2024, 9, 1)),
        (date(2026, 1, 1), 0, date(2026, 1, 1)),
    ],
)
def test_threshold_examples(today: date, months: int, threshold: date) -> None:
    assert expiry_threshold(today, months) == threshold
