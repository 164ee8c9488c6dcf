"""When must a data-subject request be answered?

GDPR art. 12(3) gives the controller one month from receipt, extendable by two further
months. How such a period is counted comes from EU Regulation 1182/71 on periods, dates and
time limits: a period in months ends on the same date in the last month (or that month's last
day when it has no such date, art. 3(2)(c)), and a period that would end on a Saturday, a
Sunday or a public holiday ends at the close of the next working day instead (art. 3(4)).
The EDPB Guidelines 01/2022 on the right of access (§§157-161) apply these rules to requests.

Public holidays are metropolitan France's. Alsace-Moselle's Good Friday and 26 December are
not counted: a deadline computed here may fall on one of them, never after the true one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from dateutil.relativedelta import relativedelta

# The first answer is due one month after receipt; an extension adds two further months,
# counted, like the first, from the day of receipt.
RESPONSE_MONTHS = 1
EXTENDED_MONTHS = RESPONSE_MONTHS + 2

_SATURDAY = 5  # date.weekday(): Monday is 0


def easter_sunday(year: int) -> date:
    """Easter Sunday of ``year`` in the Gregorian calendar.

    The anonymous Gregorian algorithm (Meeus/Jones/Butcher): ``easter_sunday(2026)`` is
    5 April 2026. Computed here rather than imported so the domain depends on nothing for it.
    """
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * leap) // 451
    month, day = divmod(h + leap - 7 * m + 114, 31)
    return date(year, month, day + 1)


# A frozenset never changes, so a year's holidays can be shared by every caller; the cache
# keeps the property tests and bulk deadline computations from recomputing Easter each day.
@lru_cache(maxsize=64)
def french_public_holidays(year: int) -> frozenset[date]:
    """The eleven public holidays of metropolitan France in ``year`` (Code du travail L3133-1).

    Alsace-Moselle's extra days (Good Friday, 26 December) are deliberately left out.
    """
    easter = easter_sunday(year)
    return frozenset(
        {
            date(year, 1, 1),  # New Year's Day
            easter + timedelta(days=1),  # Easter Monday
            date(year, 5, 1),  # Labour Day
            date(year, 5, 8),  # Victory in Europe Day
            easter + timedelta(days=39),  # Ascension Thursday
            easter + timedelta(days=50),  # Whit Monday
            date(year, 7, 14),  # Bastille Day
            date(year, 8, 15),  # Assumption
            date(year, 11, 1),  # All Saints' Day
            date(year, 11, 11),  # Armistice Day
            date(year, 12, 25),  # Christmas Day
        }
    )


def is_working_day(day: date) -> bool:
    """True from Monday to Friday, except on a French public holiday.

    Saturday is not a working day here: Regulation 1182/71 art. 3(4) names it with Sundays
    and public holidays, whatever French labour law calls a "jour ouvrable".
    """
    return day.weekday() < _SATURDAY and day not in french_public_holidays(day.year)


def next_working_day(day: date) -> date:
    """``day`` itself when it is a working day, otherwise the first working day after it."""
    # Terminates quickly: in metropolitan France no run of non-working days exceeds four.
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def _period_end(received_on: date, months: int) -> date:
    # relativedelta clips to the month's last day (31 January + 1 month = 28 or 29 February),
    # which is exactly Regulation 1182/71 art. 3(2)(c); the roll-forward is art. 3(4).
    return next_working_day(received_on + relativedelta(months=months))


def response_due(received_on: date) -> date:
    """The last day to answer a request received on ``received_on``.

    One calendar month later, moved to the next working day when that falls on a weekend or a
    holiday: received 5 March 2026, the month ends on Easter Sunday 5 April, Easter Monday is a
    holiday, so the answer is due on Tuesday 7 April 2026.
    """
    return _period_end(received_on, RESPONSE_MONTHS)


def extended_due(received_on: date) -> date:
    """The last day to answer once the period is extended by two further months.

    Three calendar months from receipt, clipped and rolled forward like ``response_due``.
    """
    return _period_end(received_on, EXTENDED_MONTHS)


@dataclass(frozen=True)
class Deadline:
    """The legal deadline of one request: when it is due and whether it was extended.

    Build a new one with ``Deadline.starting(received_on)``; the constructor itself is for
    rebuilding a deadline from stored values, which keep the dates computed when the request
    arrived even if the holiday list changes later.
    """

    received_on: date
    due_on: date
    extended_to: date | None = None

    @classmethod
    def starting(cls, received_on: date) -> Deadline:
        """The deadline of a request received on ``received_on``, not extended."""
        return cls(received_on=received_on, due_on=response_due(received_on))

    @property
    def effective_due(self) -> date:
        """The day the answer is due: the extended day when there is one."""
        return self.extended_to if self.extended_to is not None else self.due_on

    def can_extend(self, today: date) -> bool:
        """True when the period may still be extended on ``today``.

        The person must be told of the extension, with its reasons, within the first month
        (art. 12(3)), so it is allowed up to and including the first due day, and only once:
        two further months is the most the GDPR grants.
        """
        return self.extended_to is None and today <= self.due_on

    def extend(self, today: date) -> Deadline:
        """This deadline extended to three months from receipt, decided on ``today``.

        Raises ``ValueError`` when it was already extended or the first due day has passed.
        """
        if self.extended_to is not None:
            raise ValueError(
                f"the deadline was already extended to {self.extended_to.isoformat()}; "
                "the GDPR allows only one extension of two further months"
            )
        if today > self.due_on:
            raise ValueError(
                f"the deadline can no longer be extended: the first due day "
                f"{self.due_on.isoformat()} has passed (today is {today.isoformat()})"
            )
        return Deadline(
            received_on=self.received_on,
            due_on=self.due_on,
            extended_to=extended_due(self.received_on),
        )

    def days_left(self, today: date) -> int:
        """Days from ``today`` to the effective due day: 0 on that day, negative after it."""
        return (self.effective_due - today).days

    def is_overdue(self, today: date, *, closed: bool) -> bool:
        """True when the request is still open after its effective due day.

        The due day itself is not overdue: the answer may be sent until the end of that day.
        """
        return not closed and today > self.effective_due
