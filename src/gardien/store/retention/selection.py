"""Which rows a rule has expired: one range condition on the clock, read in bounded batches."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, Connection, and_, func, not_, or_, select

from gardien.store.retention.clocks import ClockSql, clock_sql
from gardien.store.tables import learner, sponsor


def _pending(record: str) -> ColumnElement[bool] | None:
    # Anonymised rows stay in place: they must not be selected again (idempotent sweeps).
    if record == "sponsor":
        return sponsor.c.anonymised_at.is_(None)
    return None


def _condition(clock: ClockSql, record: str, cond: ColumnElement[bool]) -> ColumnElement[bool]:
    pending = _pending(record)
    return cond if pending is None else and_(cond, pending)


def select_expired(
    connection: Connection, record: str, clock: str, *, threshold: date, limit: int
) -> list[int]:
    """Ids of up to ``limit`` rows whose clock day is before ``threshold``, oldest first.

    On PostgreSQL the rows are locked and rows locked by another sweep are skipped, so two
    sweeps running at once share the work instead of doing it twice or waiting on each other.
    """
    sql = clock_sql(record, clock)
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
    unless_learner_before: date | None = None,
) -> int:
    """How many rows are expired (for ``--dry-run`` and the progress bar).

    With ``unless_learner_before``, rows of learners whose own clock is before that day are
    left out: the learner rule removes them first, with their learner, so a dry run must not
    count them twice.
    """
    sql = clock_sql(record, clock)
    query = select(func.count()).select_from(sql.table)
    query = query.where(_condition(sql, record, sql.before(threshold)))
    if unless_learner_before is not None and "learner_id" in sql.table.c:
        expired = select(learner.c.id).where(
            clock_sql("learner", "last_activity").before(unless_learner_before)
        )
        owner = sql.table.c.learner_id
        query = query.where(or_(owner.is_(None), owner.not_in(expired)))
    return int(connection.execute(query).scalar_one())


def count_between(
    connection: Connection, record: str, clock: str, *, start: date, end: date
) -> int:
    """How many rows will expire between two thresholds: clock day in [start, end)."""
    sql = clock_sql(record, clock)
    window = and_(sql.before(end), not_(sql.before(start)))
    query = select(func.count()).select_from(sql.table).where(_condition(sql, record, window))
    return int(connection.execute(query).scalar_one())
