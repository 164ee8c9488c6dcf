"""Which erasure ledger entries this database has applied, and every address it holds.

The ledger (store/erasure_ledger.py) lives outside the database; ``erasure_applied`` says which
of its entries the database has seen. After a restore, the replay finds the person of an entry
by computing the keyed lookup of every address the database holds: :func:`held_addresses`
reads them from every column that stores one (the 254-character ``email``, ``billing_email``
and ``recipient`` columns of the schema).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from datetime import datetime

from sqlalchemy import Column, Connection, Engine, String, insert, select, update

from gardien.store.metadata import metadata
from gardien.store.tables import erasure_applied, erasure_lineage

ADDRESS_COLUMNS = frozenset({"email", "billing_email", "recipient"})
ADDRESS_LENGTH = 254  # RFC 5321's limit: every column that stores an address has it


def lineage_of(engine: Engine) -> str:
    """This database's lineage id (migration 0017 makes it; every backup carries it).

    A database whose tables were made without the migrations gets one now.
    """
    with engine.connect() as connection:
        found = connection.scalar(select(erasure_lineage.c.lineage))
    if found is not None:
        return str(found)
    with engine.begin() as connection:
        connection.execute(insert(erasure_lineage).values(id=1, lineage=uuid.uuid4().hex))
        return str(connection.scalar(select(erasure_lineage.c.lineage)))


def adopt_lineage(engine: Engine, lineage: str) -> None:
    """Make ``lineage`` this database's own: a database restored from a backup older than
    migration 0017, or made anew, takes the lineage of the one it replaces."""
    with engine.begin() as connection:
        connection.execute(update(erasure_lineage).values(lineage=lineage))


def recorded_lineage(connection: Connection) -> str | None:
    """This database's lineage id if it has one yet (:func:`lineage_of` makes one)."""
    found = connection.scalar(select(erasure_lineage.c.lineage))
    return None if found is None else str(found)


def applied_ids(connection: Connection) -> set[str]:
    """The ids of the ledger entries this database has applied."""
    return set(connection.scalars(select(erasure_applied.c.entry_id)))


def mark_applied(connection: Connection, entry_ids: Iterable[str], *, now: datetime) -> None:
    """Record ``entry_ids`` as applied (in the caller's transaction)."""
    rows = [{"entry_id": entry_id, "applied_at": now} for entry_id in entry_ids]
    if rows:
        connection.execute(insert(erasure_applied), rows)


def address_columns() -> list[Column[str]]:
    """Every column of the schema that stores an e-mail address."""
    found: list[Column[str]] = []
    for table in metadata.sorted_tables:
        for column in table.columns:
            kind = column.type
            if (
                column.name in ADDRESS_COLUMNS
                and isinstance(kind, String)
                and kind.length == ADDRESS_LENGTH
            ):
                found.append(column)
    return found


def held_addresses(connection: Connection) -> Iterator[str]:
    """Every distinct address the database holds, column by column (duplicates across
    columns are possible; the caller's matching does not mind them)."""
    for column in address_columns():
        query = select(column).distinct().where(column.is_not(None))
        for value in connection.execute(query.execution_options(yield_per=1000)).scalars():
            yield str(value)
