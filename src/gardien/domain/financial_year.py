"""The financial year: the accounting period an invoice belongs to, and the day it closes.

The accounting duty to keep an invoice (Code de commerce, art. L123-22: ten years) runs from
the close of the financial year in which it was issued, not from its date. A financial year
ends every year on the same day, which the policy states as month and day (``"12-31"`` for a
company closing in December, ``"06-30"`` for one closing in June).

29 February is refused as a year end: it is not a day of every year, so "the year closing on
29 February" would have no close three years out of four. A company whose year ends with
February writes ``"02-28"``; in a leap year, 29 February then opens the next financial year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

_MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")
# Any year that is not a leap year: a year end must be a day of every year.
_COMMON_YEAR = 2001


@dataclass(frozen=True, slots=True)
class FinancialYear:
    """A financial year ending every year on ``month``/``day`` (31 December by default)."""

    month: int = 12
    day: int = 31

    def __post_init__(self) -> None:
        if (self.month, self.day) == (2, 29):
            raise ValueError(
                "29 February is not a day of every year: a financial year ending with February"
                ' ends on "02-28"'
            )
        try:
            date(_COMMON_YEAR, self.month, self.day)
        except ValueError:
            raise ValueError(f"{self} is not a day of the year") from None

    @classmethod
    def parse(cls, text: str) -> FinancialYear:
        """The financial year ending on ``text``, written ``MM-DD`` (``"12-31"``).

        Raises :class:`ValueError` for anything else, for a day that does not exist
        (``"06-31"``) and for ``"02-29"``.
        """
        found = _MONTH_DAY.match(text)
        if found is None:
            raise ValueError(f'{text!r} is not a day written MM-DD (e.g. "12-31")')
        return cls(int(found[1]), int(found[2]))

    def __str__(self) -> str:
        return f"{self.month:02d}-{self.day:02d}"

    def close_of(self, day: date) -> date:
        """The last day of the financial year that ``day`` belongs to.

        With a year ending 30 June: 30 June 2016 closes on 30 June 2016, 1 July 2016 on
        30 June 2017.
        """
        close = date(day.year, self.month, self.day)
        return close if day <= close else date(day.year + 1, self.month, self.day)

    def start_of(self, day: date) -> date:
        """The first day of the financial year that ``day`` belongs to.

        Every day before it belongs to an earlier year, whose close is before ``day``: so
        "the close of the year of an issue date is before ``day``" is exactly "the issue date
        is before ``start_of(day)``", one range condition on the issue date.
        """
        close = self.close_of(day)
        return date(close.year - 1, self.month, self.day) + timedelta(days=1)


DECEMBER = FinancialYear(12, 31)
