"""Which rows a rule has expired: one range condition on the clock, read in bounded batches."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, Connection, and_, func, not_, or_, select, true

from gardien.domain.financial_year import FinancialYear
from gardien.store.retention.clocks import CLOCK_SQL, ClockSql, clock_sql
from gardien.store.tables import contact_message, learner, sponsor


def _pending(record: str) -> ColumnElement[bool] | None:
    # Anonymised rows stay in place: they must not be selected again (idempotent sweeps).
    if record == "sponsor":
        return sponsor.c.anonymised_at.is_(None)
    return None


def _condition(clock: ClockSql, record: str, cond: ColumnElement[bool]) -> ColumnElement[bool]:
    pending = _pending(record)
    return cond if pending is None else and_(cond, pending)


def select_expired(
    connection: Connection,
    record: str,
    clock: str,
    *,
    threshold: date,
    limit: int,
    financial_year: FinancialYear,
) -> list[int]:
    """Ids of up to ``limit`` rows whose clock day is before ``threshold``, oldest first.

    ``financial_year`` is the policy's (the invoice clock counts from its close). On
    PostgreSQL the rows are locked and rows locked by another sweep are skipped, so two sweeps
    running at once share the work instead of doing it twice or waiting on each other.
    """
    sql = clock_sql(record, clock, financial_year=financial_year)
    query = (
        select(sql.table.c.id)
        .where(_condition(sql, record, sql.before(threshold)))
        .order_by(sql.order_by, sql.table.c.id)
        .limit(limit)
    )
    if connection.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=sql.table)
    return list(connection.execute(query).scalars())


def count_expired(
    connection: Connection,
    record: str,
    clock: str,
    *,
    threshold: date,
    financial_year: FinancialYear,
    unless_learner_before: date | None = None,
) -> int:
    """How many rows are expired (for ``--dry-run`` and the progress bar).

    With ``unless_learner_before``, rows of learners whose own clock is before that day are
    left out: the learner rule removes them first, with their learner, so a dry run must not
    count them twice.
    """
    sql = clock_sql(record, clock, financial_year=financial_year)
    query = select(func.count()).select_from(sql.table)
    query = query.where(_condition(sql, record, sql.before(threshold)))
    if unless_learner_before is not None:
        query = query.where(_not_removed_with_learners(sql, unless_learner_before))
    return int(connection.execute(query).scalar_one())


def _not_removed_with_learners(sql: ClockSql, learners_before: date) -> ColumnElement[bool]:
    """Rows not removed with a learner whose own clock is before ``learners_before``.

    A row hangs on its learner by ``learner_id`` (queued e-mails) or, for contact-form
    messages, by the learner's e-mail address.
    """
    expired = CLOCK_SQL[("learner", "last_activity")].before(learners_before)
    columns = sql.table.c
    if "learner_id" in columns:
        owner = columns.learner_id
        return or_(owner.is_(None), owner.not_in(select(learner.c.id).where(expired)))
    if sql.table is contact_message:
        return columns.email.not_in(select(learner.c.email).where(expired))
    return true()


def count_between(
    connection: Connection,
    record: str,
    clock: str,
    *,
    start: date,
    end: date,
    financial_year: FinancialYear,
    unless_learner_before: date | None = None,
) -> int:
    """How many rows will expire between two thresholds: clock day in [start, end).

    ``unless_learner_before`` leaves out rows gone with their learner, as in
    :func:`count_expired`.
    """
    sql = clock_sql(record, clock, financial_year=financial_year)
    window = and_(sql.before(end), not_(sql.before(start)))
    query = select(func.count()).select_from(sql.table).where(_condition(sql, record, window))
    if unless_learner_before is not None:
        query = query.where(_not_removed_with_learners(sql, unless_learner_before))
    return int(connection.execute(query).scalar_one())
