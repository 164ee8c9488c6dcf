"""Each retention clock of :mod:`gardien.domain.clocks`, read in SQL.

A clock answers one question, ``before(day)``: the condition "this record's clock day is
before ``day``". With the domain's :func:`~gardien.domain.retention.expiry_threshold`, the
expired records of a rule are ``before(threshold)``; a forecast month is
``before(end) AND NOT before(start)``. Plain clocks are one indexed column, so a sweep reads
only the expired part of the index, whatever the size of the rest.

An invoice's clock reads the close of the financial year it was issued in, which no column
holds. Its condition is still one range on the indexed ``issued_on``: the close of an issue
date's year is before ``day`` exactly when the issue date is before the first day of the year
``day`` belongs to (:meth:`~gardien.domain.financial_year.FinancialYear.start_of`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, func, select

from gardien.domain.financial_year import FinancialYear
from gardien.store.tables import (
    account,
    activity_statement,
    audit_entry,
    commercial_contact,
    contact_message,
    disclosure,
    invoice,
    learner,
    newsletter_subscription,
    opco_dossier,
    outbox_message,
    sponsor,
    sponsor_contact,
    subject_request,
    throttle_counter,
    web_session,
    xapi_document,
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


def _sponsor_contact_clock(day: date) -> ColumnElement[bool]:
    """A contact lives by its sponsor's clock (see ``store/retention/sponsor_clock.py``)."""
    expired = select(sponsor.c.id).where(sponsor.c.retention_clock < day)
    return sponsor_contact.c.sponsor_id.in_(expired)


def _unconfirmed_clock(day: date) -> ColumnElement[bool]:
    """A subscription never confirmed counts from its creation (index on status, created_at)."""
    subscription = newsletter_subscription.c
    return and_(subscription.status == "pending", subscription.created_at < _midnight(day))


def _unlinked_clock(day: date) -> ColumnElement[bool]:
    """A statement counts from its reception while it is no learner's: the index on
    (learner_id, timestamp) finds the few unlinked ones, whatever the rest holds."""
    statement = activity_statement.c
    return and_(statement.learner_id.is_(None), statement.stored_at < _midnight(day))


def _account_clock(day: date) -> ColumnElement[bool]:
    """Accounts of no learner (staff, sponsor contacts) count from their last sign-in, or from
    their creation while never used; a learner's account lives and goes with the learner."""
    used = func.coalesce(account.c.last_sign_in_at, account.c.created_at)
    return and_(account.c.learner_id.is_(None), used < _midnight(day))


def _unlinked_document_clock(day: date) -> ColumnElement[bool]:
    """Documents about someone who is no learner count from their last change; a learner's
    live and go with the learner (the learner rule's ``with_records``)."""
    document = xapi_document.c
    return and_(document.learner_id.is_(None), document.updated_at < _midnight(day))


CLOCK_SQL: dict[tuple[str, str], ClockSql] = {
    ("learner", "last_activity"): _instant(learner.c.last_activity_at),
    ("commercial_contact", "last_contract_end"): _day(commercial_contact.c.last_contract_end),
    ("sponsor", "last_contract_end"): _day(sponsor.c.retention_clock),
    ("sponsor_contact", "last_contract_end"): ClockSql(
        sponsor_contact, _sponsor_contact_clock, sponsor_contact.c.id
    ),
    ("opco_dossier", "training_end"): _day(opco_dossier.c.training_end),
    ("newsletter_subscription", "unsubscribed"): _instant(
        newsletter_subscription.c.unsubscribed_at
    ),
    ("newsletter_subscription", "unconfirmed"): ClockSql(
        newsletter_subscription,
        _unconfirmed_clock,
        newsletter_subscription.c.created_at,
    ),
    ("contact_message", "last_exchange"): _instant(contact_message.c.last_exchange_at),
    ("outbox_message", "created"): _instant(outbox_message.c.created_at),
    ("audit_entry", "recorded"): _instant(audit_entry.c.recorded_at),
    ("disclosure", "recorded"): _instant(disclosure.c.transmitted_at),
    ("xapi_document", "last_change"): ClockSql(
        xapi_document, _unlinked_document_clock, xapi_document.c.updated_at
    ),
    ("activity_statement", "unlinked"): ClockSql(
        activity_statement, _unlinked_clock, activity_statement.c.stored_at
    ),
    ("account", "last_sign_in"): ClockSql(account, _account_clock, account.c.last_sign_in_at),
    ("web_session", "expired"): _instant(web_session.c.expires_at),
    ("subject_request", "closed"): _instant(subject_request.c.closed_at),
    ("throttle_counter", "lapsed"): _instant(throttle_counter.c.expires_at),
}


# Clocks whose reading depends on the policy's financial year, built per call.
_FINANCIAL_YEAR_CLOCKS = {("invoice", "financial_year_close")}


def _financial_year_close(year: FinancialYear) -> ClockSql:
    issued_on = invoice.c.issued_on
    return ClockSql(invoice, lambda day: issued_on < year.start_of(day), issued_on)


def clock_sql(record: str, clock: str, *, financial_year: FinancialYear) -> ClockSql:
    """The SQL reading of a clock; every clock of the domain has one (a test checks it).

    ``financial_year`` is the policy's: the invoice clock counts from its close.
    """
    if (record, clock) in _FINANCIAL_YEAR_CLOCKS:
        return _financial_year_close(financial_year)
    return CLOCK_SQL[(record, clock)]


def clock_keys() -> set[tuple[str, str]]:
    """Every (record, clock) that :func:`clock_sql` can read."""
    return set(CLOCK_SQL) | _FINANCIAL_YEAR_CLOCKS
