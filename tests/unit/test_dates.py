"""Dates and times as people write them: ``01/09/2025`` in French, ``1 September 2025`` in
English, instants in France's time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from babel.dates import format_date
from hypothesis import given
from hypothesis import strategies as st

from gardien.i18n.dates import format_day, format_time


def test_english_writes_the_day_without_a_zero_then_the_month_in_words() -> None:
    assert format_day(date(2025, 9, 1), "en") == "1 September 2025"
    assert format_day(date(2026, 3, 5), "en") == "5 March 2026"
    assert format_day(date(2026, 12, 31), "en") == "31 December 2026"
    assert format_day(date(2027, 1, 10), "en") == "10 January 2027"


def test_french_is_unchanged() -> None:
    assert format_day(date(2025, 9, 1), "fr") == "01/09/2025"
    assert format_day(date(2026, 12, 31), "fr") == "31/12/2026"


def test_a_day_may_come_as_iso_text_or_as_an_instant() -> None:
    assert format_day("2025-09-01", "en") == "1 September 2025"
    assert format_day("2025-09-01T23:30:00+00:00", "en") == "1 September 2025"
    assert format_day(datetime(2025, 9, 1, 12, 0, tzinfo=UTC), "en") == "1 September 2025"
    assert format_day(None, "en") == ""


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)))
def test_the_month_names_are_british_englishs(day: date) -> None:
    # Babel is the reference; format_day does without it because exports call it per cell.
    assert format_day(day, "en") == format_date(day, "d MMMM y", locale="en_GB")


def test_an_instant_is_read_in_frances_winter_time() -> None:
    # 1 December: Paris is one hour ahead of UTC.
    at = datetime(2025, 12, 1, 13, 5, tzinfo=UTC)
    assert format_time(at, "en") == "1 December 2025 14:05"
    assert format_time(at, "fr") == "01/12/2025 14:05"


def test_an_instant_is_read_in_frances_summer_time() -> None:
    # 1 September: Paris is two hours ahead of UTC.
    at = datetime(2025, 9, 1, 12, 5, tzinfo=UTC)
    assert format_time(at, "en") == "1 September 2025 14:05"
    assert format_time(at, "fr") == "01/09/2025 14:05"


def test_an_instant_late_in_the_evening_elsewhere_may_be_the_next_day_in_france() -> None:
    # 31 August 20:30 in New York (UTC-4) is 1 September 02:30 in Paris.
    at = datetime(2025, 8, 31, 20, 30, tzinfo=timezone(timedelta(hours=-4)))
    assert format_time(at, "en") == "1 September 2025 02:30"
