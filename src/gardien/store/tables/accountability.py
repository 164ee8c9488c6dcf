"""The append-only audit log: purges, transmissions and decisions, hash-chained.

Entries refer to people by pseudonymous ids only and never hold the erased data itself.
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, Index, Integer, String, Table

from gardien.store.classify import not_personal, personal
from gardien.store.metadata import metadata
from gardien.store.types import UTCDateTime, json_document

audit_entry = Table(
    "audit_entry",
    metadata,
    Column("id", Integer, primary_key=True, info=not_personal("sequence number of the chain")),
    Column(
        "recorded_at", UTCDateTime(), nullable=False, index=True, info=personal("accountability")
    ),
    Column("action", String(64), nullable=False, info=not_personal("kind of event")),
    Column("actor", String(100), nullable=False, info=personal("accountability")),
    Column("details", json_document(), nullable=False, info=personal("accountability")),
    Column("prev_hash", String(64), nullable=False, info=not_personal("hash chain")),
    Column("hash", String(64), nullable=False, unique=True, info=not_personal("hash chain")),
    # The last entry of a kind (the last sweep run, audit check, console purge): the console
    # reads it on every visit, and a kind that never occurred must not cost a whole scan.
    Index(None, "action", "id"),
)

# The head of the chain, one row: appenders lock it, so concurrent writers (two sweeps, the web
# app) append one after the other and the chain never forks.
audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, info=not_personal("the single row")),
    Column("last_id", Integer, nullable=False, info=not_personal("sequence number of the chain")),
    Column("hash", String(64), nullable=False, info=not_personal("hash chain")),
    # Where verification starts once old entries were pruned by the audit rule: the id and the
    # hash of the last pruned entry (0 and 64 zeros while nothing was pruned).
    Column("anchor_id", Integer, nullable=False, info=not_personal("hash chain")),
    Column("anchor_hash", String(64), nullable=False, info=not_personal("hash chain")),
    CheckConstraint("id = 1", name="single_row"),
)

# The lineage of this database, one row made by migration 0017: a random id that every backup and
# copy of the database carries, and a new database does not. The ledger keeps each lineage's
# entries apart, so that a fresh database (a new demo, a test) is not held to the erasures of
# another one sharing the folder or the bucket, while a restored backup is to its own.
erasure_lineage = Table(
    "erasure_lineage",
    metadata,
    Column("id", Integer, primary_key=True, info=not_personal("the single row")),
    Column("lineage", String(32), nullable=False, info=not_personal("database lineage id")),
    CheckConstraint("id = 1", name="single_row"),
)

# The entries of the erasure ledger (store/erasure_ledger.py) this database has applied: an
# erasure inserts its entry in its own transaction, `gardien erasure replay` those a restored
# database lacked. Ids and times only: the entries themselves live outside the database.
erasure_applied = Table(
    "erasure_applied",
    metadata,
    Column("entry_id", String(64), primary_key=True, info=not_personal("erasure ledger entry id")),
    Column("applied_at", UTCDateTime(), nullable=False, info=not_personal("time of application")),
)
