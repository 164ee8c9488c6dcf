"""When must a data-subject request be answered?

GDPR art. 12(3) gives the controller one month from receipt, extendable by two further
months. How such a period is counted comes from EU Regulation 1182/71 on periods, dates and
time limits: a period in months ends on the same date in the last month (or that month's last
day when it has no such date, art. 3(2)(c)), and a period that would end on a Saturday, a
Sunday or a public holiday ends at the close of the next working day instead (art. 3(4)).
The EDPB Guidelines 01/2022 on the right of access (§§157-161) apply these rules to requests.

Public holidays come from the ``holidays`` library (the Open World Holidays Framework):
metropolitan France's eleven, and, when the policy places the controller in Alsace-Moselle
(``controller.holiday_region``: ``"57"``, ``"67"`` or ``"68"``), Good Friday and 26 December
as well. The library is pure Python and reads no file or network, so the domain may import it
and stays free of I/O. It knows years up to :data:`LAST_YEAR`; a later year is refused rather
than counted without holidays.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from dateutil.relativedelta import relativedelta
from holidays import country_holidays

# The first answer is due one month after receipt; an extension adds two further months,
# counted, like the first, from the day of receipt.
RESPONSE_MONTHS = 1
EXTENDED_MONTHS = RESPONSE_MONTHS + 2

_SATURDAY = 5  # date.weekday(): Monday is 0

# The departments whose local law (droit local) adds Good Friday and 26 December, and the
# subdivision of the holidays library that has them: Moselle is its own, Bas-Rhin and
# Haut-Rhin are the Collectivité européenne d'Alsace ("6AE").
HOLIDAY_REGIONS = {"57": "57", "67": "6AE", "68": "6AE"}
LAST_YEAR: int = country_holidays("FR").end_year


# A frozenset never changes, so a year's holidays can be shared by every caller; the cache
# keeps the property tests and bulk deadline computations from rebuilding a calendar each day.
@lru_cache(maxsize=256)
def public_holidays(year: int, region: str | None = None) -> frozenset[date]:
    """France's public holidays in ``year``; Alsace-Moselle's too when ``region`` is set.

    ``region`` is a department of :data:`HOLIDAY_REGIONS` (``None``: metropolitan France
    elsewhere, the eleven days of Code du travail L3133-1). ``ValueError`` for another
    department, or a year past :data:`LAST_YEAR`.
    """
    if region is not None and region not in HOLIDAY_REGIONS:
        raise ValueError(f"no holiday calendar for department {region!r}")
    if year > LAST_YEAR:
        raise ValueError(f"public holidays are known up to {LAST_YEAR}, not {year}")
    subdivision = HOLIDAY_REGIONS[region] if region is not None else None
    return frozenset(country_holidays("FR", subdiv=subdivision, years=year))


def is_working_day(day: date, *, region: str | None = None) -> bool:
    """True from Monday to Friday, except on a public holiday (of ``region`` when set).

    Saturday is not a working day here: Regulation 1182/71 art. 3(4) names it with Sundays
    and public holidays, whatever French labour law calls a "jour ouvrable".
    """
    return day.weekday() < _SATURDAY and day not in public_holidays(day.year, region)


def next_working_day(day: date, *, region: str | None = None) -> date:
    """``day`` itself when it is a working day, otherwise the first working day after it."""
    # Terminates quickly: no run of non-working days in France exceeds four.
    while not is_working_day(day, region=region):
        day += timedelta(days=1)
    return day


def _period_end(received_on: date, months: int, region: str | None) -> date:
    # relativedelta clips to the month's last day (31 January + 1 month = 28 or 29 February),
    # which is exactly Regulation 1182/71 art. 3(2)(c); the roll-forward is art. 3(4).
    return next_working_day(received_on + relativedelta(months=months), region=region)


def response_due(received_on: date, *, region: str | None = None) -> date:
    """The last day to answer a request received on ``received_on``.

    One calendar month later, moved to the next working day when that falls on a weekend or a
    holiday: received 5 March 2026, the month ends on Easter Sunday 5 April, Easter Monday is a
    holiday, so the answer is due on Tuesday 7 April 2026. In Alsace-Moselle (``region``)
    Good Friday and 26 December are holidays too.
    """
    return _period_end(received_on, RESPONSE_MONTHS, region)


def extended_due(received_on: date, *, region: str | None = None) -> date:
    """The last day to answer once the period is extended by two further months.

    Three calendar months from receipt, clipped and rolled forward like ``response_due``.
    """
    return _period_end(received_on, EXTENDED_MONTHS, region)


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
    def starting(cls, received_on: date, *, region: str | None = None) -> Deadline:
        """The deadline of a request received on ``received_on``, not extended.

        ``region``: the controller's Alsace-Moselle department, if any (its holidays count).
        """
        return cls(received_on=received_on, due_on=response_due(received_on, region=region))

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

    def extend(self, today: date, *, region: str | None = None) -> Deadline:
        """This deadline extended to three months from receipt, decided on ``today``.

        ``region`` as for :meth:`starting`.

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
            extended_to=extended_due(self.received_on, region=region),
        )

    def days_left(self, today: date) -> int:
        """Days from ``today`` to the effective due day: 0 on that day, negative after it."""
        return (self.effective_due - today).days

    def is_overdue(self, today: date, *, closed: bool) -> bool:
        """True when the request is still open after its effective due day.

        The due day itself is not overdue: the answer may be sent until the end of that day.
        """
        return not closed and today > self.effective_due
