"""The rows of xAPI attachments: which statement uses which blob, and the blobs no one uses.

A blob is deleted from the blob store only once its ``xapi_blob`` row is deleted, by
:func:`unused_blobs`, in the transaction that deletes the content: its ``DELETE`` keeps only
the rows that no attachment references, and the foreign key from ``xapi_attachment`` makes
the database order it with a request adding an attachment that uses the same blob. On
SQLite, writers take turns; on PostgreSQL the attachment's foreign-key check and the delete
lock the same row: either the delete waits and then fails on the new reference (nothing is
deleted), or the request waits and then adds the blob row again and stores the content anew.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, exists, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from gardien.store.tables import activity_statement, xapi_attachment, xapi_blob


@dataclass(frozen=True)
class Attachment:
    """One attachment content of one statement: the hash declared (``sha2``), the blob's
    name (``sha256``), its content type and length."""

    statement_id: str
    sha2: str
    sha256: str
    content_type: str
    length: int


def add_attachments(
    connection: Connection, attachments: Sequence[Attachment], *, now: datetime
) -> list[Attachment]:
    """Record ``attachments`` of stored statements; those new to the store, to be written.

    Statements not stored (not in ``activity_statement``) get none; an attachment already
    recorded is left as it is. The blobs' rows are added if missing: the caller writes the
    content of every attachment returned before committing.
    """
    ids = sorted({item.statement_id for item in attachments})
    if not ids:
        return []
    stored = set(
        connection.execute(
            select(activity_statement.c.statement_id).where(
                activity_statement.c.statement_id.in_(ids)
            )
        ).scalars()
    )
    known = {
        (row.statement_id, row.sha2)
        for row in connection.execute(
            select(xapi_attachment.c.statement_id, xapi_attachment.c.sha2).where(
                xapi_attachment.c.statement_id.in_(ids)
            )
        )
    }
    new: dict[tuple[str, str], Attachment] = {}
    for item in attachments:
        key = (item.statement_id, item.sha2)
        if item.statement_id in stored and key not in known:
            new.setdefault(key, item)
    if not new:
        return []
    blobs = {item.sha256: item.length for item in new.values()}
    _add_blobs(connection, blobs, now)
    connection.execute(
        insert(xapi_attachment),
        [
            {
                "statement_id": item.statement_id,
                "sha2": item.sha2,
                "sha256": item.sha256,
                "content_type": item.content_type,
            }
            for item in new.values()
        ],
    )
    return list(new.values())


def _add_blobs(connection: Connection, blobs: dict[str, int], now: datetime) -> None:
    # ON CONFLICT DO NOTHING: two requests may bring the same new content at once.
    rows = [{"sha256": name, "length": size, "stored_at": now} for name, size in blobs.items()]
    statement = (
        postgresql.insert(xapi_blob).on_conflict_do_nothing(index_elements=["sha256"])
        if connection.dialect.name == "postgresql"
        else sqlite.insert(xapi_blob).on_conflict_do_nothing(index_elements=["sha256"])
    )
    connection.execute(statement, rows)


def attachments_of(connection: Connection, statement_ids: Iterable[str]) -> list[Attachment]:
    """The attachments recorded for ``statement_ids``, in the order they were recorded."""
    ids = sorted(set(statement_ids))
    if not ids:
        return []
    query = (
        select(
            xapi_attachment.c.statement_id,
            xapi_attachment.c.sha2,
            xapi_attachment.c.sha256,
            xapi_attachment.c.content_type,
            xapi_blob.c.length,
        )
        .join(xapi_blob, xapi_blob.c.sha256 == xapi_attachment.c.sha256)
        .where(xapi_attachment.c.statement_id.in_(ids))
        .order_by(xapi_attachment.c.id)
    )
    return [Attachment(*row) for row in connection.execute(query)]


def learner_attachments(connection: Connection, learner_id: int) -> list[dict[str, Any]]:
    """The attachment rows of a learner's statements (whole rows, and the content's length)."""
    query = (
        select(xapi_attachment, xapi_blob.c.length)
        .join(xapi_blob, xapi_blob.c.sha256 == xapi_attachment.c.sha256)
        .join(
            activity_statement,
            activity_statement.c.statement_id == xapi_attachment.c.statement_id,
        )
        .where(activity_statement.c.learner_id == learner_id)
        .order_by(xapi_attachment.c.id)
    )
    return [row._asdict() for row in connection.execute(query)]


def unused_blobs(connection: Connection, *, limit: int = 1000) -> list[str]:
    """Delete up to ``limit`` blob rows no attachment uses; their names, whose content the
    caller deletes from the blob store before committing."""
    used = exists().where(xapi_attachment.c.sha256 == xapi_blob.c.sha256)
    candidates = select(xapi_blob.c.id).where(~used).order_by(xapi_blob.c.id).limit(limit)
    names = list(
        connection.execute(
            delete(xapi_blob)
            .where(xapi_blob.c.id.in_(candidates), ~used)
            .returning(xapi_blob.c.sha256)
        ).scalars()
    )
    return sorted(names)


def delete_learner_attachments(connection: Connection, learner_ids: Sequence[int]) -> int:
    """Delete the attachment rows of the learners' statements; how many went.

    They would go with the statements anyway (``ON DELETE CASCADE``): deleting them first lets
    an erasure count them. Their content goes with :func:`unused_blobs`, after the commit.
    """
    statements = select(activity_statement.c.statement_id).where(
        activity_statement.c.learner_id.in_(list(learner_ids))
    )
    result = connection.execute(
        delete(xapi_attachment).where(xapi_attachment.c.statement_id.in_(statements))
    )
    return max(int(result.rowcount or 0), 0)
