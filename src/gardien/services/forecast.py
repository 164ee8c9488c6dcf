"""``gardien forecast``: what the retention rules will delete or anonymise, month by month.

A record becomes expired on day *x* when its clock day is in ``[threshold(x - 1), threshold(x))``
(:func:`~gardien.domain.retention.expiry_threshold`), so what expires during the days *a* to *b*
is one range of the clock: ``[threshold(a - 1), threshold(b))``, counted by one indexed query
per rule and month. Records already expired on the as-of day, which a sweep has not removed
yet, are reported apart as *overdue*. An invoice's clock is the close of its financial year, so
a year's invoices all expire on one day: the day after that close plus the period (a 1 January,
for a year ending 31 December).

The forecast reads the records stored now and assumes they stay as they are: no further activity
resets a clock and no record is added. Only counts come out, never anything about a person.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import Connection, Engine

from gardien.domain.clock import Clock
from gardien.domain.retention import expiry_threshold
from gardien.policy import Policy
from gardien.services.sweep import removed_with_learners
from gardien.store.retention.selection import count_between, count_expired

ASSUMPTION = (
    "counts the records stored on the as-of date, assuming no further activity resets a clock "
    "and no record is added (nor the commercial contacts that erasing learners will keep); "
    "a record is counted in the month in which it becomes expired, which a sweep run that day "
    "or later removes"
)


@dataclass(frozen=True)
class MonthWindow:
    """The days of one calendar month that fall in the forecast window, ``first`` to ``last``."""

    first: date
    last: date

    @property
    def month(self) -> str:
        """The month as ``YYYY-MM``."""
        return f"{self.first:%Y-%m}"


def month_windows(today: date, until: date) -> list[MonthWindow]:
    """The calendar months that have days in ``(today, until]``, each cut to those days.

    The as-of month starts the day after ``today`` (so it is absent when ``today`` is its last
    day); the month of ``until`` ends on ``until``. ``until == today`` gives no month at all.
    """
    if until < today:
        raise ValueError(f"the forecast ends on {until}, before its as-of date {today}")
    windows: list[MonthWindow] = []
    first = today + timedelta(days=1)
    while first <= until:
        next_month = first.replace(day=1) + relativedelta(months=1)
        last = min(next_month - timedelta(days=1), until)
        windows.append(MonthWindow(first, last))
        first = next_month
    return windows


def clock_ranges(
    windows: list[MonthWindow], *, today: date, months: int
) -> tuple[date, list[tuple[date, date]]]:
    """For a rule of ``months``: the clock threshold of the overdue records on ``today``, and
    for each window the clock days ``[start, end)`` of the records that expire during it.

    The windows must follow one another from the day after ``today``, as
    :func:`month_windows` makes them: each range then starts where the previous one ends, so
    no record is counted twice nor missed.
    """
    overdue_before = expiry_threshold(today, months)
    ranges: list[tuple[date, date]] = []
    start = overdue_before
    for window in windows:
        end = expiry_threshold(window.last, months)
        ranges.append((start, end))
        start = end
    return overdue_before, ranges


@dataclass(frozen=True)
class MonthCount:
    """How many records of a rule become expired during one month's window."""

    window: MonthWindow
    records: int

    def as_json(self) -> dict[str, Any]:
        """``{"month": "2026-03", "from": ..., "to": ..., "records": n}``."""
        return {
            "month": self.window.month,
            "from": self.window.first.isoformat(),
            "to": self.window.last.isoformat(),
            "records": self.records,
        }


@dataclass
class RuleForecast:
    """One retention rule: what is overdue now, and what expires in each month of the window."""

    rule: str
    record: str
    action: str
    clock: str
    retention_months: int
    overdue: int = 0
    months: list[MonthCount] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Records that become expired in the window (the overdue ones are not included)."""
        return sum(month.records for month in self.months)

    def as_json(self) -> dict[str, Any]:
        """The rule's forecast as plain JSON values (counts only)."""
        return {
            "rule": self.rule,
            "record": self.record,
            "action": self.action,
            "clock": self.clock,
            "retention_months": self.retention_months,
            "overdue": self.overdue,
            "months": [month.as_json() for month in self.months],
            "total": self.total,
        }


@dataclass
class Forecast:
    """The whole forecast: the as-of date, the last day, and one forecast per rule."""

    as_of: date
    until: date
    rules: list[RuleForecast] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The forecast as plain JSON values; the assumption it rests on is spelled out."""
        return {
            "as_of": self.as_of.isoformat(),
            "until": self.until.isoformat(),
            "assumption": ASSUMPTION,
            "rules": [rule.as_json() for rule in self.rules],
        }

    def summary(self) -> str:
        """A readable report: overdue and total per rule, then one month table per year."""
        lines = [
            f"forecast as of {self.as_of} until {self.until}: "
            "records that retention will delete or anonymise",
            *textwrap.wrap(f"assumption: {ASSUMPTION}", width=100),
            "",
        ]
        lines += _table(
            ["rule", "record", "action", "overdue", "total"],
            [
                [rule.rule, rule.record, rule.action, str(rule.overdue), str(rule.total)]
                for rule in self.rules
            ],
            numeric_from=3,
        )
        lines += [
            f"overdue: expired on {self.as_of} already, for the next sweep to remove",
            f"total: becoming expired from {self.as_of + timedelta(days=1)} to {self.until}",
        ]
        windows = [month.window for month in self.rules[0].months] if self.rules else []
        for year in sorted({window.first.year for window in windows}):
            columns = [i for i, window in enumerate(windows) if window.first.year == year]
            lines.append("")
            lines += _table(
                [str(year), *(_MONTH_NAMES[windows[i].first.month - 1] for i in columns)],
                [
                    [rule.rule, *(str(rule.months[i].records) for i in columns)]
                    for rule in self.rules
                ],
                numeric_from=1,
            )
        return "\n".join(lines)


_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _table(header: list[str], rows: list[list[str]], *, numeric_from: int) -> list[str]:
    """Columns padded to their widest cell; counts aligned right, names left."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        padded = [
            cell.rjust(width) if i >= numeric_from else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(padded).rstrip()

    return [line(header), *(line(row) for row in rows)]


def forecast(engine: Engine, *, policy: Policy, clock: Clock, until: date) -> Forecast:
    """What each retention rule of ``policy`` will expire from ``clock.today()`` to ``until``.

    Per rule: the records expired already (``overdue``) and, for each month with days in
    ``(today, until]``, the records that become expired on one of those days. Every count is
    read in one snapshot of the database. Raises :class:`ValueError` if ``until`` is before
    the as-of date.
    """
    today = clock.today()
    windows = month_windows(today, until)
    result = Forecast(as_of=today, until=until)
    with _snapshot(engine) as connection:
        for rule_id, rule in policy.retention.items():
            overdue_before, ranges = clock_ranges(windows, today=today, months=rule.months)
            report = RuleForecast(
                rule=rule_id,
                record=rule.record,
                action=rule.action.value,
                clock=rule.clock,
                retention_months=rule.months,
                overdue=count_expired(
                    connection,
                    rule.record,
                    rule.clock,
                    threshold=overdue_before,
                    financial_year=policy.financial_year,
                    unless_learner_before=removed_with_learners(policy, rule_id, today),
                ),
            )
            for window, (start, end) in zip(windows, ranges, strict=True):
                records = (
                    count_between(
                        connection,
                        rule.record,
                        rule.clock,
                        start=start,
                        end=end,
                        financial_year=policy.financial_year,
                        # Within a month the learner rule runs first, as in a sweep at its end.
                        unless_learner_before=removed_with_learners(policy, rule_id, window.last),
                    )
                    if end > start
                    else 0
                )
                report.months.append(MonthCount(window, records))
            result.rules.append(report)
    return result


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """A read-only transaction in which all counts see the same state of the database."""
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            # Read committed would let a sweep running meanwhile move rows between counts.
            connection.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        # SQLite: gardien begins transactions explicitly, and a WAL reader sees one snapshot.
        with connection.begin():
            yield connection
