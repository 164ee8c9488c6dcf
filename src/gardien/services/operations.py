"""The figures an operator watches, read from the database when Prometheus asks (``/metrics``).

Counts and times only, never anything about a person: how many e-mails wait in the outbox and
since when, when the nightly sweep and audit check last succeeded and what the sweep purged,
how many data-subject requests are open and overdue. Read in one short read-only transaction
of a few indexed queries, so a scrape every 30 s costs next to nothing whatever the size of the
database (docs/observability.md gives each query's cost).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, func, select

from gardien.domain.deadlines import Deadline
from gardien.services.audit import VERIFIED
from gardien.services.outbox_sender import DEFAULT_MAX_ATTEMPTS
from gardien.services.purges import FAILED, FINISHED
from gardien.services.requests import OPEN_STATUSES
from gardien.store.audit import read_audit_head
from gardien.store.tables import audit_entry, outbox_message, subject_request
from gardien.store.uow import UnitOfWork


@dataclass(frozen=True)
class Outbox:
    """Unsent e-mails: still to be tried, and given up (never tried again)."""

    waiting: int
    oldest_waiting: datetime | None
    given_up: int


@dataclass(frozen=True)
class LastSweep:
    """The last ``sweep.run`` entry: when, how long, and the records purged per rule."""

    finished_at: datetime
    seconds: float
    records: dict[str, int]


@dataclass(frozen=True)
class Figures:
    """Everything :func:`read_figures` reads, as of one snapshot."""

    outbox: Outbox
    last_sweep: LastSweep | None
    last_sweep_failure: datetime | None
    last_audit_check: datetime | None
    audit_entries: int
    open_requests: Counter[str] = field(default_factory=Counter)
    overdue_requests: Counter[str] = field(default_factory=Counter)


def read_figures(uow: UnitOfWork, *, today: date) -> Figures:
    """The operator's figures as of ``today`` (for the requests' deadlines)."""
    with uow:
        connection = uow.connection
        head = read_audit_head(connection)
        open_requests, overdue = _requests(connection, today)
        return Figures(
            outbox=_outbox(connection),
            last_sweep=_last_sweep(connection),
            last_sweep_failure=_last_time(connection, FAILED),
            last_audit_check=_last_time(connection, VERIFIED),
            audit_entries=0 if head is None else head.last_id,
            open_requests=open_requests,
            overdue_requests=overdue,
        )


def _outbox(connection: Connection) -> Outbox:
    c = outbox_message.c
    # Index (sent_at, send_after): the unsent rows only, a few in a healthy outbox.
    unsent = c.sent_at.is_(None)
    waiting, oldest = connection.execute(
        select(func.count(), func.min(c.created_at)).where(
            unsent, c.attempts < DEFAULT_MAX_ATTEMPTS
        )
    ).one()
    given_up = connection.execute(
        select(func.count()).where(unsent, c.attempts >= DEFAULT_MAX_ATTEMPTS)
    ).scalar_one()
    return Outbox(waiting=int(waiting), oldest_waiting=oldest, given_up=int(given_up))


def _last_entry(connection: Connection, action: str) -> Any:
    # Index (action, id): one short walk from the end, even for a kind that never occurred.
    return connection.execute(
        select(audit_entry.c.recorded_at, audit_entry.c.details)
        .where(audit_entry.c.action == action)
        .order_by(audit_entry.c.id.desc())
        .limit(1)
    ).first()


def _last_time(connection: Connection, action: str) -> datetime | None:
    row = _last_entry(connection, action)
    return None if row is None else row.recorded_at


def _last_sweep(connection: Connection) -> LastSweep | None:
    row = _last_entry(connection, FINISHED)
    if row is None:
        return None
    details = row.details if isinstance(row.details, dict) else {}
    rules = details.get("rules")
    records = {
        str(rule): int(counts.get("records", 0))
        for rule, counts in (rules.items() if isinstance(rules, dict) else [])
        if isinstance(counts, dict)
    }
    seconds = details.get("seconds")
    return LastSweep(
        finished_at=row.recorded_at,
        seconds=float(seconds) if isinstance(seconds, int | float) else 0.0,
        records=records,
    )


def _requests(connection: Connection, today: date) -> tuple[Counter[str], Counter[str]]:
    c = subject_request.c
    # Index on status: the open requests only, however many were closed over the years.
    rows = connection.execute(
        select(c.kind, c.received_at, c.due_on, c.extended_to).where(c.status.in_(OPEN_STATUSES))
    ).all()
    open_requests: Counter[str] = Counter()
    overdue: Counter[str] = Counter()
    for row in rows:
        open_requests[row.kind] += 1
        # As the console says it: overdue the day after the (extended) due day.
        if Deadline(row.received_at.date(), row.due_on, row.extended_to).is_overdue(
            today, closed=False
        ):
            overdue[row.kind] += 1
    return open_requests, overdue
