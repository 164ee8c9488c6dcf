"""Who is warned on a given day: the window of last-activity days, and the dedupe key."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gardien.domain.retention import clock_date, first_expired_day
from gardien.services.inactivity import RuleWarnings, WarningReport, WarningWindow, warning_window
from gardien.store.outbox import inactivity_warning_key


def test_the_window_of_the_notice_example() -> None:
    # Last active 28 to 31 August 2024: kept through 28 February 2026 (calendar clamping),
    # erased from 1 March 2026. On 29 January, 31 days before, they are not in the window;
    # on 30 January, 30 days before, all four days enter it at once.
    assert warning_window(date(2026, 1, 29), months=18, days_before=30) == WarningWindow(
        date(2024, 7, 29), date(2024, 8, 28)
    )
    window = warning_window(date(2026, 1, 30), months=18, days_before=30)
    assert window == WarningWindow(date(2024, 7, 30), date(2024, 9, 1))
    assert window.instants() == (
        datetime(2024, 7, 30, tzinfo=UTC),
        datetime(2024, 9, 1, tzinfo=UTC),
    )


def test_a_warning_needs_at_least_one_day() -> None:
    with pytest.raises(ValueError, match="at least one day"):
        warning_window(date(2026, 1, 1), months=18, days_before=0)


@given(
    today=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)),
    months=st.integers(min_value=0, max_value=240),
    days_before=st.integers(min_value=1, max_value=365),
    offset=st.integers(min_value=-800, max_value=800),
)
def test_in_the_window_exactly_when_erased_within_the_warning_period(
    today: date, months: int, days_before: int, offset: int
) -> None:
    window = warning_window(today, months=months, days_before=days_before)
    day = window.active_from + timedelta(days=offset)
    erased_on = first_expired_day(day, months)
    in_window = window.active_from <= day < window.active_before
    assert in_window == (today < erased_on <= today + timedelta(days=days_before))


def test_the_dedupe_key_names_the_learner_and_the_utc_instant() -> None:
    paris = timezone(timedelta(hours=1))
    at = datetime(2024, 3, 16, 0, 30, tzinfo=paris)
    key = inactivity_warning_key(42, at)
    assert key == "inactivity-warning:42:2024-03-15T23:30:00.000000+00:00"
    assert clock_date(at) == date(2024, 3, 15)
    assert inactivity_warning_key(42, at) != inactivity_warning_key(42, at + timedelta(seconds=1))
    with pytest.raises(ValueError, match="naive"):
        inactivity_warning_key(42, datetime(2024, 3, 16))


def test_the_report_counts_per_rule() -> None:
    window = WarningWindow(date(2024, 7, 30), date(2024, 9, 1))
    report = WarningReport(
        as_of=date(2026, 1, 30),
        rules={"learner_data": RuleWarnings("learner_data", 30, window, queued=4, batches=2)},
    )
    assert report.total == 4
    assert report.summary() == (
        "inactivity warnings as of 2026-01-30: 4 queued\n"
        "  learner_data: 4 queued for data erased within 30 days (in 2 batches)"
    )
    assert report.as_dict() == {
        "as_of": "2026-01-30",
        "total": 4,
        "rules": {
            "learner_data": {
                "days_before": 30,
                "last_activity_from": "2024-07-30",
                "last_activity_before": "2024-09-01",
                "queued": 4,
                "batches": 2,
            }
        },
    }
    empty = WarningReport(as_of=date(2026, 1, 30), rules={})
    assert empty.summary() == "inactivity warnings as of 2026-01-30: no retention rule asks for one"
