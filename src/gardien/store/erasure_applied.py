"""Which erasure ledger entries this database has applied, and every address it holds.

The ledger (store/erasure_ledger.py) lives outside the database; ``erasure_applied`` says which
of its entries the database has seen. After a restore, the replay finds the person of an entry
by computing the keyed lookup of every address the database holds: :func:`held_addresses`
reads them from every column that stores one (the 254-character ``email``, ``billing_email``
and ``recipient`` columns of the schema).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

from sqlalchemy import Column, Connection, String, insert, select

from gardien.store.metadata import metadata
from gardien.store.tables import erasure_applied

ADDRESS_COLUMNS = frozenset({"email", "billing_email", "recipient"})
ADDRESS_LENGTH = 254  # RFC 5321's limit: every column that stores an address has it


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
