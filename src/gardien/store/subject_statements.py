"""A learner's activity statements for an export: counted, then read in batches as they go.

A learner may have hundreds of thousands of statements. An export reads them here rather than
among the other rows of ``subject_queries``, so that it streams them with flat memory, and
reads them as stored text (instants, the statement's JSON) rather than decoding what it would
encode again.
"""

from __future__ import annotations

from collections.abc import Iterator
from secrets import token_hex
from typing import Any

from sqlalchemy import Connection, func, select

from gardien.store.tables import activity_statement, xapi_client

# The statement columns an export reads, in the order :func:`stream_statements` yields them.
STATEMENT_FIELDS = (
    "object_id",
    "raw",
    "registration",
    "result_completion",
    "result_score_scaled",
    "result_success",
    "statement_id",
    "stored_at",
    "timestamp",
    "verb",
)


def count_statements(connection: Connection, learner_id: int) -> int:
    """How many statements the learner has (an index-only count)."""
    counted: int = connection.execute(
        select(func.count()).where(activity_statement.c.learner_id == learner_id)
    ).scalar_one()
    return counted


def stream_statements(
    connection: Connection, learner_id: int, *, batch: int = 2000
) -> Iterator[list[tuple[Any, ...]]]:
    """The learner's statements in time order, ``batch`` rows at a time, read as they go.

    Each row holds :data:`STATEMENT_FIELDS` in that order, then ``voided`` and the client's
    id: instants as ``datetime.isoformat()`` gives them in UTC, written by the database;
    ``raw`` as the stored JSON text, untouched; booleans as the driver gives them (0/1 on
    SQLite). Nothing is decoded that the export would encode again, and the rows come from the
    driver's cursor, in the caller's transaction, without a result object per row: that is
    what keeps an export of 100,000 statements near the cost of the SELECT itself
    (``bench/export.py``). On PostgreSQL the cursor is a server-side one.
    """
    postgres = connection.dialect.name == "postgresql"
    instant = _postgres_instant if postgres else _sqlite_instant
    raw = "raw::text" if postgres else "raw"
    sql = (
        f"SELECT object_id, {raw}, registration, result_completion, result_score_scaled,"
        f" result_success, statement_id, {instant('stored_at')}, {instant('timestamp')},"
        f" verb, voided, client_id FROM {activity_statement.name}"
        f" WHERE learner_id = {int(learner_id)} ORDER BY timestamp, id"
    )
    driver: Any = connection.connection.driver_connection
    cursor = driver.cursor(name=f"statements_{token_hex(6)}") if postgres else driver.cursor()
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(batch):
            yield rows
    finally:
        cursor.close()


def _sqlite_instant(column: str) -> str:
    """``2026-10-13 08:00:00.000000``, as stored on SQLite, as ``isoformat()`` writes it."""
    fraction = f"substr({column}, 21, 6)"
    return (
        f"(substr({column}, 1, 10) || 'T' || substr({column}, 12, 8)"
        f" || CASE WHEN {fraction} IN ('', '000000') THEN '' ELSE '.' || {fraction} END"
        " || '+00:00')"
    )


def _postgres_instant(column: str) -> str:
    utc = f"({column} AT TIME ZONE 'UTC')"
    return (
        f"(to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS')"
        f" || CASE WHEN date_part('microseconds', {column})::bigint % 1000000 = 0"
        f" THEN '' ELSE to_char({utc}, '.US') END || '+00:00')"
    )


def client_names(connection: Connection) -> dict[int, str]:
    """Every xAPI client's name by id (a handful of rows): how statements name their sender."""
    query = select(xapi_client.c.id, xapi_client.c.name)
    return {row.id: row.name for row in connection.execute(query)}
