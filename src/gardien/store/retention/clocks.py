"""Each retention clock of :mod:`gardien.domain.clocks`, read in SQL.

A clock answers one question, ``before(day)``: the condition "this record's clock day is
before ``day``". With the domain's :func:`~gardien.domain.retention.expiry_threshold`, the
expired records of a rule are ``before(threshold)``; a forecast month is
``before(end) AND NOT before(start)``. Plain clocks are one indexed column, so a sweep reads
only the expired part of the index, whatever the size of the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, func, or_, select

from gardien.store.tables import (
    audit_entry,
    commercial_contact,
    contact_message,
    contract,
    invoice,
    learner,
    newsletter_subscription,
    opco_dossier,
    outbox_message,
    sponsor,
    sponsor_contact,
)


@dataclass(frozen=True)
class ClockSql:
    """How to test a record's clock in SQL, and how to order expired rows for batching."""

    table: Table
    before: Callable[[date], ColumnElement[bool]]
    order_by: Any


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _instant(column: Any) -> ClockSql:
    """A clock stored as an instant: its day is before ``day`` iff it is before midnight UTC."""
    return ClockSql(column.table, lambda day: column < _midnight(day), column)


def _day(column: Any) -> ClockSql:
    return ClockSql(column.table, lambda day: column < day, column)


def _last_contract_end(sponsor_id: Any, created_at: Any) -> Callable[[date], ColumnElement[bool]]:
    """Latest contract end of a sponsor; a sponsor without any contract counts from creation."""
    latest = (
        select(func.max(contract.c.ends_on))
        .where(contract.c.sponsor_id == sponsor_id)
        .scalar_subquery()
    )

    def before(day: date) -> ColumnElement[bool]:
        # Never NULL (a sponsor always has a clock): a forecast negates this condition, and
        # NOT NULL would drop a sponsor without contract from every month.
        return or_(
            and_(latest.is_not(None), latest < day),
            and_(latest.is_(None), created_at < _midnight(day)),
        )

    return before


_SPONSOR_CREATED = (
    select(sponsor.c.created_at).where(sponsor.c.id == sponsor_contact.c.sponsor_id)
).scalar_subquery()

CLOCK_SQL: dict[tuple[str, str], ClockSql] = {
    ("learner", "last_activity"): _instant(learner.c.last_activity_at),
    ("commercial_contact", "last_contract_end"): _day(commercial_contact.c.last_contract_end),
    ("sponsor", "last_contract_end"): ClockSql(
        sponsor, _last_contract_end(sponsor.c.id, sponsor.c.created_at), sponsor.c.id
    ),
    ("sponsor_contact", "last_contract_end"): ClockSql(
        sponsor_contact,
        _last_contract_end(sponsor_contact.c.sponsor_id, _SPONSOR_CREATED),
        sponsor_contact.c.id,
    ),
    ("invoice", "issued_on"): _day(invoice.c.issued_on),
    ("opco_dossier", "training_end"): _day(opco_dossier.c.training_end),
    ("newsletter_subscription", "unsubscribed"): _instant(
        newsletter_subscription.c.unsubscribed_at
    ),
    ("contact_message", "last_exchange"): _instant(contact_message.c.last_exchange_at),
    ("outbox_message", "created"): _instant(outbox_message.c.created_at),
    ("audit_entry", "recorded"): _instant(audit_entry.c.recorded_at),
}


def clock_sql(record: str, clock: str) -> ClockSql:
    """The SQL reading of a clock; every clock of the domain has one (a test checks it)."""
    return CLOCK_SQL[(record, clock)]
