"""Legal deadlines of data-subject requests: one month, rolled to the next working day."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st

from gardien.domain.deadlines import (
    HOLIDAY_REGIONS,
    LAST_YEAR,
    Deadline,
    extended_due,
    is_working_day,
    next_working_day,
    public_holidays,
    response_due,
)

pytestmark = pytest.mark.unit

# The holidays library knows years up to LAST_YEAR; an extended deadline ends three months
# and a few days after receipt, so receipts stop in September of that year.
DAYS = st.dates(min_value=date(2000, 1, 1), max_value=date(LAST_YEAR, 9, 30))
REGIONS = st.sampled_from([None, *HOLIDAY_REGIONS])

# The longest run of non-working days: a holiday Thursday and Friday before a weekend
# (Ascension on 7 May before 8 May, e.g. 2043; in Alsace-Moselle also Christmas on a Thursday,
# then 26 December), or a holiday Friday and Monday around one (Good Friday and Easter Monday
# in Alsace-Moselle, every year). Never five.
LONGEST_WAIT = 4


def test_french_public_holidays_of_2026() -> None:
    assert public_holidays(2026) == {
        date(2026, 1, 1),
        date(2026, 4, 6),  # Easter Monday
        date(2026, 5, 1),
        date(2026, 5, 8),
        date(2026, 5, 14),  # Ascension
        date(2026, 5, 25),  # Whit Monday
        date(2026, 7, 14),
        date(2026, 8, 15),
        date(2026, 11, 1),
        date(2026, 11, 11),
        date(2026, 12, 25),
    }


def test_alsace_moselle_days_count_only_there() -> None:
    elsewhere = public_holidays(2026)
    assert date(2026, 4, 3) not in elsewhere  # Good Friday
    assert date(2026, 12, 26) not in elsewhere
    assert is_working_day(date(2026, 4, 3))
    for region in HOLIDAY_REGIONS:
        assert public_holidays(2026, region) - elsewhere == {date(2026, 4, 3), date(2026, 12, 26)}
        assert not is_working_day(date(2026, 4, 3), region=region)


def test_an_unknown_department_or_a_year_past_the_calendar_is_refused() -> None:
    with pytest.raises(ValueError, match="department '75'"):
        public_holidays(2026, "75")
    with pytest.raises(ValueError, match="known up to"):
        public_holidays(LAST_YEAR + 1)


@pytest.mark.parametrize("region", sorted(HOLIDAY_REGIONS))
@pytest.mark.parametrize(
    ("received", "due", "due_there"),
    [
        # 3 April 2026 is Good Friday (a Friday): Easter Monday follows, so Tuesday 7 April.
        (date(2026, 3, 3), date(2026, 4, 3), date(2026, 4, 7)),
        # 26 December 2025 is a Friday, after Christmas: Monday 29 December.
        (date(2025, 11, 26), date(2025, 12, 26), date(2025, 12, 29)),
        # 26 December 2024 is a Thursday: Friday 27 December.
        (date(2024, 11, 26), date(2024, 12, 26), date(2024, 12, 27)),
    ],
)
def test_a_deadline_on_good_friday_or_26_december_moves_only_in_alsace_moselle(
    region: str, received: date, due: date, due_there: date
) -> None:
    assert response_due(received) == due
    assert response_due(received, region=region) == due_there
    assert Deadline.starting(received).due_on == due
    assert Deadline.starting(received, region=region).due_on == due_there


@pytest.mark.parametrize("region", sorted(HOLIDAY_REGIONS))
def test_an_extension_ending_on_good_friday_moves_only_in_alsace_moselle(region: str) -> None:
    # Received 18 January 2025: three months later is Good Friday 18 April 2025.
    received = date(2025, 1, 18)
    assert extended_due(received) == date(2025, 4, 18)
    assert extended_due(received, region=region) == date(2025, 4, 22)
    start = Deadline.starting(received, region=region)
    assert start.extend(received, region=region).extended_to == date(2025, 4, 22)
    assert Deadline.starting(received).extend(received).extended_to == date(2025, 4, 18)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 3, 6), True),  # Friday
        (date(2026, 3, 7), False),  # Saturday
        (date(2026, 3, 8), False),  # Sunday
        (date(2026, 3, 9), True),  # Monday
        (date(2026, 7, 14), False),  # Bastille Day, a Tuesday
        (date(2026, 5, 14), False),  # Ascension Thursday
    ],
)
def test_is_working_day(day: date, working: bool) -> None:
    assert is_working_day(day) is working


def test_next_working_day_is_the_day_itself_when_it_works() -> None:
    assert next_working_day(date(2026, 3, 4)) == date(2026, 3, 4)


def test_next_working_day_skips_a_weekend_and_a_holiday() -> None:
    # Easter Sunday 2026, then Easter Monday.
    assert next_working_day(date(2026, 4, 4)) == date(2026, 4, 7)


@pytest.mark.parametrize(
    ("received", "due"),
    [
        # Plain month: 5 February 2026 + 1 month is Thursday 5 March.
        (date(2026, 2, 5), date(2026, 3, 5)),
        # Easter Sunday 5 April 2026, Easter Monday 6 April: Tuesday 7 April.
        (date(2026, 3, 5), date(2026, 4, 7)),
        # Clipped to 28 February 2026, a Saturday: Monday 2 March.
        (date(2026, 1, 31), date(2026, 3, 2)),
        # Leap year: clipped to 29 February 2028, a Tuesday.
        (date(2028, 1, 31), date(2028, 2, 29)),
        # 31 March + 1 month is clipped to 30 April 2026, a Thursday.
        (date(2026, 3, 31), date(2026, 4, 30)),
        # Bastille Day 2026 is a Tuesday.
        (date(2026, 6, 14), date(2026, 7, 15)),
        # Christmas 2026 is a Friday: Monday 28 December.
        (date(2026, 11, 25), date(2026, 12, 28)),
        # Christmas 2025 is a Thursday; Friday 26 December works outside Alsace-Moselle.
        (date(2025, 11, 25), date(2025, 12, 26)),
        # Ascension Thursday 14 May 2026.
        (date(2026, 4, 14), date(2026, 5, 15)),
        # Whit Monday 25 May 2026.
        (date(2026, 4, 25), date(2026, 5, 26)),
        # Ascension 7 May 2043, then 8 May and a weekend: the longest wait, four days.
        (date(2043, 4, 7), date(2043, 5, 11)),
    ],
)
def test_response_due(received: date, due: date) -> None:
    assert response_due(received) == due


@pytest.mark.parametrize(
    ("received", "due"),
    [
        # 5 June 2026, a Friday.
        (date(2026, 3, 5), date(2026, 6, 5)),
        # Clipped to 30 April 2026, a Thursday.
        (date(2026, 1, 31), date(2026, 4, 30)),
        # Clipped to 28 February 2027, a Sunday: Monday 1 March.
        (date(2026, 11, 30), date(2027, 3, 1)),
        # 15 August 2026 is a Saturday: Monday 17 August.
        (date(2026, 5, 15), date(2026, 8, 17)),
        # 1 November 2027 is a Monday: Tuesday 2 November.
        (date(2027, 8, 1), date(2027, 11, 2)),
    ],
)
def test_extended_due(received: date, due: date) -> None:
    assert extended_due(received) == due


def test_starting_deadline() -> None:
    deadline = Deadline.starting(date(2026, 3, 5))
    assert deadline == Deadline(date(2026, 3, 5), date(2026, 4, 7), None)
    assert deadline.effective_due == date(2026, 4, 7)


def test_extension_is_allowed_on_the_due_day() -> None:
    deadline = Deadline.starting(date(2026, 3, 5))
    assert deadline.can_extend(date(2026, 4, 7))
    extended = deadline.extend(date(2026, 4, 7))
    assert extended.due_on == date(2026, 4, 7)
    assert extended.extended_to == date(2026, 6, 5)
    assert extended.effective_due == date(2026, 6, 5)
    assert deadline.extended_to is None  # frozen: extend returns a new deadline


def test_extension_is_allowed_on_the_day_of_receipt() -> None:
    deadline = Deadline.starting(date(2026, 3, 5))
    assert deadline.extend(date(2026, 3, 5)).extended_to == date(2026, 6, 5)


def test_extension_is_refused_the_day_after_the_due_day() -> None:
    deadline = Deadline.starting(date(2026, 3, 5))
    assert not deadline.can_extend(date(2026, 4, 8))
    with pytest.raises(ValueError, match=r"can no longer be extended.*2026-04-07 has passed"):
        deadline.extend(date(2026, 4, 8))


def test_extension_is_refused_twice() -> None:
    extended = Deadline.starting(date(2026, 3, 5)).extend(date(2026, 3, 10))
    assert not extended.can_extend(date(2026, 3, 11))
    with pytest.raises(ValueError, match=r"already extended to 2026-06-05.*only one extension"):
        extended.extend(date(2026, 3, 11))


def test_days_left_and_overdue_at_the_boundary() -> None:
    deadline = Deadline.starting(date(2026, 3, 5))  # due 7 April 2026
    assert deadline.days_left(date(2026, 4, 6)) == 1
    assert not deadline.is_overdue(date(2026, 4, 6), closed=False)
    assert deadline.days_left(date(2026, 4, 7)) == 0
    assert not deadline.is_overdue(date(2026, 4, 7), closed=False)
    assert deadline.days_left(date(2026, 4, 8)) == -1
    assert deadline.is_overdue(date(2026, 4, 8), closed=False)


def test_a_closed_request_is_never_overdue() -> None:
    deadline = Deadline.starting(date(2026, 3, 5))
    assert not deadline.is_overdue(date(2026, 4, 8), closed=True)
    assert not deadline.is_overdue(date(2030, 1, 1), closed=True)


def test_days_left_and_overdue_follow_the_extension() -> None:
    extended = Deadline.starting(date(2026, 3, 5)).extend(date(2026, 4, 1))
    assert extended.days_left(date(2026, 4, 8)) == 58
    assert not extended.is_overdue(date(2026, 4, 8), closed=False)
    assert extended.days_left(date(2026, 6, 5)) == 0
    assert not extended.is_overdue(date(2026, 6, 5), closed=False)
    assert extended.days_left(date(2026, 6, 6)) == -1
    assert extended.is_overdue(date(2026, 6, 6), closed=False)


@pytest.mark.parametrize("region", [None, *sorted(HOLIDAY_REGIONS)])
def test_the_longest_wait_is_four_days_and_it_happens(region: str | None) -> None:
    waits = [
        (next_working_day(day, region=region) - day).days
        for year in range(2000, LAST_YEAR)
        for day in (date(year, 1, 1) + timedelta(days=n) for n in range(365))
    ]
    assert max(waits) == LONGEST_WAIT


@given(DAYS, REGIONS)
def test_due_day_is_a_working_day_within_four_days_of_the_month(
    received: date, region: str | None
) -> None:
    month_later = received + relativedelta(months=1)
    due = response_due(received, region=region)
    assert is_working_day(due, region=region)
    assert month_later <= due <= month_later + timedelta(days=LONGEST_WAIT)


@given(DAYS, REGIONS)
def test_extended_day_is_a_working_day_within_four_days_of_three_months(
    received: date, region: str | None
) -> None:
    three_months_later = received + relativedelta(months=3)
    extended = extended_due(received, region=region)
    assert is_working_day(extended, region=region)
    assert three_months_later <= extended <= three_months_later + timedelta(days=LONGEST_WAIT)


@given(DAYS, REGIONS)
def test_alsace_moselle_deadlines_are_never_earlier(received: date, region: str | None) -> None:
    assert response_due(received, region=region) >= response_due(received)
    assert extended_due(received, region=region) >= extended_due(received)


@given(DAYS)
def test_extended_due_is_after_response_due(received: date) -> None:
    assert extended_due(received) > response_due(received)


@given(DAYS, DAYS)
def test_deadlines_are_monotonic_in_the_day_of_receipt(first: date, second: date) -> None:
    earlier, later = sorted((first, second))
    assert response_due(earlier) <= response_due(later)
    assert extended_due(earlier) <= extended_due(later)


@given(DAYS, st.integers(min_value=-60, max_value=120))
def test_extension_is_possible_exactly_until_the_due_day(received: date, offset: int) -> None:
    deadline = Deadline.starting(received)
    today = received + timedelta(days=offset)
    assert deadline.can_extend(today) is (today <= deadline.due_on)
    if deadline.can_extend(today):
        assert deadline.extend(today).effective_due == extended_due(received)
    else:
        with pytest.raises(ValueError):
            deadline.extend(today)


@given(DAYS, DAYS, st.booleans())
def test_overdue_is_open_and_negative_days_left(received: date, today: date, closed: bool) -> None:
    deadline = Deadline.starting(received)
    assert deadline.is_overdue(today, closed=closed) is (
        not closed and deadline.days_left(today) < 0
    )
