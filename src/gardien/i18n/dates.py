"""Dates and times as people read them: ``01/09/2025`` in French, ``1 September 2025`` in English.

What machines read (the JSON export, the register files, the API, xAPI) stays ISO 8601 and never
goes through here.

Instants are stored in UTC; a person reads them in the organisation's time (France). dateutil
falls back on its own copy of the time-zone database when the system has none.
"""

from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_date
from dateutil import tz

LOCAL = tz.gettz("Europe/Paris")

# British English writes a day as ``1 September 2025``. Written out here rather than asked of
# Babel: exports format a date per cell, and a tuple index costs nothing.
_MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def format_day(day: date | str | None, lang: str) -> str:
    """A day (or ISO text starting with one): ``01/09/2025`` in French, ``1 September 2025`` in
    English."""
    if day is None:
        return ""
    if isinstance(day, str):
        day = date.fromisoformat(day[:10])
    elif isinstance(day, datetime):
        day = day.date()
    if lang == "fr":
        return day.strftime("%d/%m/%Y")
    return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"


def format_month_day(month: int, day: int, lang: str) -> str:
    """A day of every year, in words: ``31 décembre`` in French, ``31 December`` in English."""
    # Any year will do, as long as it has the day: 29 February is no year end (the policy
    # refuses it), so a common year is enough.
    words = format_date(date(2001, month, day), "d MMMM", locale=lang)
    # French writes the first of a month as an ordinal: « 1er juillet ».
    return words.replace("1 ", "1er ", 1) if lang == "fr" and day == 1 else words


def local_day(at: datetime) -> date:
    """The day an instant falls on in France."""
    return at.astimezone(LOCAL).date()


def format_time(at: datetime, lang: str) -> str:
    """An instant in France's time, to the minute: ``01/06/2026 12:00`` in French,
    ``1 June 2026 12:00`` in English."""
    moment = at.astimezone(LOCAL)
    return f"{format_day(moment.date(), lang)} {moment:%H:%M}"
