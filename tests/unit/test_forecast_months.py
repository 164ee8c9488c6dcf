"""The forecast's months: calendar months cut to (as-of, until], and the clock range of each."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st

from gardien.domain.retention import first_expired_day
from gardien.services.forecast import MonthWindow, clock_ranges, month_windows

DAYS = st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31))


def _spans(windows: list[MonthWindow]) -> list[tuple[str, str, str]]:
    return [(w.month, w.first.isoformat(), w.last.isoformat()) for w in windows]


def test_the_as_of_month_starts_the_next_day_and_the_last_month_ends_on_until() -> None:
    assert _spans(month_windows(date(2026, 1, 15), date(2026, 4, 10))) == [
        ("2026-01", "2026-01-16", "2026-01-31"),
        ("2026-02", "2026-02-01", "2026-02-28"),
        ("2026-03", "2026-03-01", "2026-03-31"),
        ("2026-04", "2026-04-01", "2026-04-10"),
    ]


def test_a_leap_february_and_a_year_boundary() -> None:
    assert _spans(month_windows(date(2027, 12, 20), date(2028, 2, 29))) == [
        ("2027-12", "2027-12-21", "2027-12-31"),
        ("2028-01", "2028-01-01", "2028-01-31"),
        ("2028-02", "2028-02-01", "2028-02-29"),
    ]


def test_as_of_on_the_last_day_of_a_month_starts_with_the_next_month() -> None:
    assert _spans(month_windows(date(2026, 1, 31), date(2026, 2, 1))) == [
        ("2026-02", "2026-02-01", "2026-02-01"),
    ]


def test_a_window_inside_one_month() -> None:
    assert _spans(month_windows(date(2026, 3, 1), date(2026, 3, 2))) == [
        ("2026-03", "2026-03-02", "2026-03-02"),
    ]


def test_until_the_as_of_day_is_an_empty_window() -> None:
    assert month_windows(date(2026, 3, 1), date(2026, 3, 1)) == []


def test_until_before_the_as_of_day_is_refused() -> None:
    with pytest.raises(ValueError, match="before its as-of date 2026-03-01"):
        month_windows(date(2026, 3, 1), date(2026, 2, 28))


@given(DAYS, st.integers(min_value=0, max_value=2000))
def test_the_windows_tile_the_days_after_as_of_up_to_until(today: date, days: int) -> None:
    until = today + timedelta(days=days)
    windows = month_windows(today, until)
    covered = [
        w.first + timedelta(days=i) for w in windows for i in range((w.last - w.first).days + 1)
    ]
    assert covered == [today + timedelta(days=i) for i in range(1, days + 1)]
    for window in windows:
        assert window.first.month == window.last.month
        assert window.first.year == window.last.year
    # One window per calendar month: consecutive windows are in consecutive months.
    assert len({w.month for w in windows}) == len(windows)


@given(
    DAYS,
    st.integers(min_value=0, max_value=800),
    st.integers(min_value=0, max_value=200),
    st.integers(min_value=-4000, max_value=1000),
)
def test_each_clock_day_is_counted_in_the_month_it_expires(
    today: date, days: int, months: int, offset: int
) -> None:
    clock_day = today - timedelta(days=offset) - relativedelta(months=months)
    windows = month_windows(today, today + timedelta(days=days))
    overdue_before, ranges = clock_ranges(windows, today=today, months=months)
    expires = first_expired_day(clock_day, months)
    assert (clock_day < overdue_before) == (expires <= today)
    hits = [w for w, (start, end) in zip(windows, ranges, strict=True) if start <= clock_day < end]
    expected = [w for w in windows if w.first <= expires <= w.last]
    assert hits == expected
