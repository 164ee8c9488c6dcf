"""The financial year: which year an invoice belongs to, and when its 120 months end.

The accounting duty (Code de commerce, art. L123-22) runs ten years from the close of the
financial year in which the invoice was issued, not from its date.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gardien.domain.clocks import RETENTION_CLOCKS
from gardien.domain.financial_year import DECEMBER, FinancialYear
from gardien.domain.retention import expiry_threshold, first_expired_day, is_expired, retention_end
from gardien.i18n.dates import format_month_day
from gardien.policy import DEFAULT_POLICY_PATH, Policy, load_policy, parse_policy
from gardien.store.catalogue import record_catalogue
from gardien.store.retention.clocks import clock_keys, clock_sql
from gardien.store.tables import invoice

JUNE = FinancialYear(6, 30)
FEBRUARY = FinancialYear(2, 28)
DAYS = st.dates(min_value=date(1990, 1, 1), max_value=date(2200, 12, 31))
# Any day of a common year is a year end the policy accepts.
YEAR_ENDS = st.dates(min_value=date(2001, 1, 1), max_value=date(2001, 12, 31)).map(
    lambda day: FinancialYear(day.month, day.day)
)


def default_policy() -> Policy:
    return load_policy(None, catalogue=record_catalogue())


@pytest.mark.parametrize(
    ("year", "issued", "close"),
    [
        (DECEMBER, date(2016, 6, 15), date(2016, 12, 31)),
        (DECEMBER, date(2016, 2, 29), date(2016, 12, 31)),
        (DECEMBER, date(2016, 1, 1), date(2016, 12, 31)),
        (DECEMBER, date(2016, 12, 31), date(2016, 12, 31)),
        (DECEMBER, date(2017, 1, 1), date(2017, 12, 31)),
        # A company closing on 30 June: 1 July opens the next year.
        (JUNE, date(2016, 6, 30), date(2016, 6, 30)),
        (JUNE, date(2016, 7, 1), date(2017, 6, 30)),
        (JUNE, date(2016, 2, 29), date(2016, 6, 30)),
        (JUNE, date(2016, 6, 15), date(2016, 6, 30)),
        # A year ending with February ends on the 28th: in a leap year the 29th opens the next.
        (FEBRUARY, date(2016, 2, 28), date(2016, 2, 28)),
        (FEBRUARY, date(2016, 2, 29), date(2017, 2, 28)),
        (FEBRUARY, date(2016, 3, 1), date(2017, 2, 28)),
    ],
)
def test_the_close_of_the_year_an_invoice_was_issued_in(
    year: FinancialYear, issued: date, close: date
) -> None:
    assert year.close_of(issued) == close


@pytest.mark.parametrize(
    ("year", "day", "start"),
    [
        (DECEMBER, date(2016, 6, 15), date(2016, 1, 1)),
        (DECEMBER, date(2016, 1, 1), date(2016, 1, 1)),
        (DECEMBER, date(2016, 12, 31), date(2016, 1, 1)),
        (JUNE, date(2017, 6, 30), date(2016, 7, 1)),
        (JUNE, date(2016, 7, 1), date(2016, 7, 1)),
        (FEBRUARY, date(2016, 2, 29), date(2016, 2, 29)),
        (FEBRUARY, date(2017, 2, 28), date(2016, 2, 29)),
        (FEBRUARY, date(2015, 3, 1), date(2015, 3, 1)),
    ],
)
def test_the_first_day_of_a_financial_year(year: FinancialYear, day: date, start: date) -> None:
    assert year.start_of(day) == start


@pytest.mark.parametrize(
    ("year", "issued", "last_kept"),
    [
        # Mid-year: under the old clock it went on 16 June 2026, six months too early.
        (DECEMBER, date(2016, 6, 15), date(2026, 12, 31)),
        # 29 February: under the old clock it went on 1 March 2026, ten months too early.
        (DECEMBER, date(2016, 2, 29), date(2026, 12, 31)),
        (JUNE, date(2016, 6, 15), date(2026, 6, 30)),
        (JUNE, date(2016, 7, 1), date(2027, 6, 30)),
        (JUNE, date(2016, 2, 29), date(2026, 6, 30)),
        (FEBRUARY, date(2016, 2, 29), date(2027, 2, 28)),
    ],
)
def test_an_invoice_is_kept_120_months_from_its_year_close(
    year: FinancialYear, issued: date, last_kept: date
) -> None:
    close = year.close_of(issued)
    assert retention_end(close, 120) == last_kept
    assert first_expired_day(close, 120) == last_kept + timedelta(days=1)
    assert not is_expired(close, 120, today=last_kept)
    assert is_expired(close, 120, today=last_kept + timedelta(days=1))


@given(year=YEAR_ENDS, issued=DAYS, day=DAYS)
def test_close_before_a_day_is_issue_before_the_start_of_its_year(
    year: FinancialYear, issued: date, day: date
) -> None:
    # The sweep's range on issued_on says exactly what the clock says.
    assert (year.close_of(issued) < day) == (issued < year.start_of(day))


@given(year=YEAR_ENDS, issued=DAYS, today=DAYS, months=st.integers(0, 240))
def test_the_issue_date_threshold_selects_exactly_the_expired_invoices(
    year: FinancialYear, issued: date, today: date, months: int
) -> None:
    threshold = year.start_of(expiry_threshold(today, months))
    assert (issued < threshold) == is_expired(year.close_of(issued), months, today=today)


@given(year=YEAR_ENDS, issued=DAYS)
def test_an_issue_date_belongs_to_the_year_it_closes(year: FinancialYear, issued: date) -> None:
    close = year.close_of(issued)
    assert year.start_of(issued) <= issued <= close
    assert (close.month, close.day) == (year.month, year.day)
    assert close - year.start_of(issued) < timedelta(days=366)


@pytest.mark.parametrize("text", ["12-31", "06-30", "02-28", "01-01"])
def test_a_year_end_is_written_month_day(text: str) -> None:
    assert str(FinancialYear.parse(text)) == text


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("02-29", "29 February is not a day of every year"),
        ("06-31", "06-31 is not a day of the year"),
        ("13-01", "13-01 is not a day of the year"),
        ("00-10", "00-10 is not a day of the year"),
        ("12-00", "12-00 is not a day of the year"),
        ("1231", "is not a day written MM-DD"),
        ("31/12", "is not a day written MM-DD"),
        ("2-28", "is not a day written MM-DD"),
        ("", "is not a day written MM-DD"),
    ],
)
def test_a_year_end_that_is_not_a_day_of_every_year_is_refused(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        FinancialYear.parse(text)


def test_the_default_policy_closes_in_december() -> None:
    assert default_policy().financial_year == DECEMBER


def test_a_policy_states_its_own_year_end() -> None:
    text = DEFAULT_POLICY_PATH.read_text("utf-8")
    assert 'financial_year_end: "12-31"' in text
    text = text.replace('financial_year_end: "12-31"', 'financial_year_end: "06-30"')
    policy = parse_policy(text, source="june.yaml", catalogue=record_catalogue())
    assert policy.financial_year == JUNE
    assert policy.version != default_policy().version


@pytest.mark.parametrize(
    ("month", "day", "lang", "words"),
    [
        (12, 31, "fr", "31 décembre"),
        (12, 31, "en", "31 December"),
        (6, 30, "fr", "30 juin"),
        (7, 1, "fr", "1er juillet"),
        (7, 1, "en", "1 July"),
        (2, 28, "fr", "28 février"),
    ],
)
def test_a_year_end_in_words(month: int, day: int, lang: str, words: str) -> None:
    assert format_month_day(month, day, lang) == words


def test_every_clock_of_the_domain_is_read_in_sql() -> None:
    assert clock_keys() == set(RETENTION_CLOCKS)


@pytest.mark.parametrize(
    ("year", "threshold", "issued_before"),
    [
        # Closes before 1 January 2017 are those of invoices issued before 1 January 2017...
        (DECEMBER, date(2017, 1, 1), "2017-01-01"),
        # ...and closes before 31 December 2016 those of invoices issued before 2016.
        (DECEMBER, date(2016, 12, 31), "2016-01-01"),
        (JUNE, date(2017, 6, 30), "2016-07-01"),
        (JUNE, date(2017, 7, 1), "2017-07-01"),
    ],
)
def test_the_invoice_clock_is_one_range_on_the_indexed_issue_date(
    year: FinancialYear, threshold: date, issued_before: str
) -> None:
    sql = clock_sql("invoice", "financial_year_close", financial_year=year)
    condition = sql.before(threshold).compile(compile_kwargs={"literal_binds": True})
    assert str(condition) == f"invoice.issued_on < '{issued_before}'"
    assert sql.order_by is invoice.c.issued_on
    assert invoice.c.issued_on.index
