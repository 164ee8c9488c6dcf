"""A learner's activity statements for an export: counted, then read in batches as they go.

A learner may have hundreds of thousands of statements. An export reads them here rather than
among the other rows of ``subject_queries``, so that it streams them with flat memory, and
reads them as stored text (instants, the statement's JSON) rather than decoding what it would
encode again.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, String, Text, cast, func, select, type_coerce

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

    Each row holds :data:`STATEMENT_FIELDS` in that order (instants as ISO 8601 text, ``raw``
    as the stored JSON text, untouched), then ``voided`` and the client's id. Nothing is
    decoded that the export would encode again: that is what keeps an export of 100,000
    statements near the cost of the SELECT itself.
    """
    s = activity_statement.c
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        instants: list[Any] = [type_coerce(s.stored_at, String), type_coerce(s.timestamp, String)]
        raw: Any = type_coerce(s.raw, String)
    else:
        instants = [s.stored_at, s.timestamp]
        raw = cast(s.raw, Text)
    query = (
        select(
            s.object_id,
            raw,
            s.registration,
            s.result_completion,
            s.result_score_scaled,
            s.result_success,
            s.statement_id,
            *instants,
            s.verb,
            s.voided,
            s.client_id,
        )
        .where(s.learner_id == learner_id)
        .order_by(s.timestamp, s.id)
    )
    instant = _sqlite_instant if sqlite else _aware_instant
    result = connection.execution_options(yield_per=batch).execute(query)
    for part in result.partitions():
        yield [
            (*row[:7], instant(row[7]), instant(row[8]), row[9], bool(row[10]), row[11])
            for row in part
        ]


def _sqlite_instant(text: str) -> str:
    """``2026-10-13 08:00:00.000000`` as stored on SQLite → ``datetime.isoformat()`` in UTC."""
    fraction = text[20:26]
    micro = f".{fraction}" if fraction and fraction != "000000" else ""
    return f"{text[:10]}T{text[11:19]}{micro}+00:00"


def _aware_instant(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def client_names(connection: Connection) -> dict[int, str]:
    """Every xAPI client's name by id (a handful of rows): how statements name their sender."""
    query = select(xapi_client.c.id, xapi_client.c.name)
    return {row.id: row.name for row in connection.execute(query)}
