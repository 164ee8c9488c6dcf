"""The audit log: append-only, hash-chained, verifiable, prunable from its old end.

Every entry carries the SHA-256 of its own content and of the previous entry's hash, so that
changing, deleting, inserting or reordering any entry breaks the chain at that entry. The single
``audit_head`` row holds the id and hash of the last entry (so deleting the newest entries shows
too) and the *anchor*: the id and hash of the last entry removed by retention, where verification
starts. The format and the formula are described in ``docs/audit-log.md``.

Entries refer to people by pseudonymous ids only: never an e-mail address, a name, or any of the
personal data whose erasure they record. :func:`append_audit` refuses e-mail addresses outright.

All three functions work in the caller's transaction and never commit.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Row,
    ScalarSelect,
    Select,
    String,
    func,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from gardien.domain.audit_chain import FORMAT, GENESIS_HASH, entry_hash, normalise_details
from gardien.store.tables import audit_entry, audit_head

__all__ = [
    "CHUNK",
    "FORMAT",
    "GENESIS_HASH",
    "AuditHead",
    "AuditVerification",
    "append_audit",
    "entry_hash",
    "normalise_details",
    "prune_audit",
    "read_audit_head",
    "verify_audit",
]

# Entries read per query while verifying or pruning: bounds memory whatever the log's size.
CHUNK = 5_000

_GENESIS = {
    "id": 1,
    "last_id": 0,
    "hash": GENESIS_HASH,
    "anchor_id": 0,
    "anchor_hash": GENESIS_HASH,
}


def _max_length(column: Column[Any]) -> int:
    kind = column.type
    assert isinstance(kind, String) and kind.length
    return kind.length


# Checked before writing, as PostgreSQL would, so that SQLite accepts no more than it does.
_MAX_ACTION = _max_length(audit_entry.c.action)
_MAX_ACTOR = _max_length(audit_entry.c.actor)
# Something@domain.tld: a last line of defence for principle 7, not a full address grammar.
_EMAIL = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")


@dataclass(frozen=True)
class AuditVerification:
    """The outcome of :func:`verify_audit`: ``ok``, or the first broken entry and why."""

    ok: bool
    entries_checked: int
    first_broken_id: int | None
    problem: str | None


@dataclass(frozen=True)
class AuditHead:
    """The head of the chain: its last entry, and the anchor left by pruning."""

    last_id: int
    hash: str
    anchor_id: int
    anchor_hash: str


def _row_hash(row: Row[Any]) -> str:
    return entry_hash(
        entry_id=row.id,
        recorded_at=row.recorded_at,
        action=row.action,
        actor=row.actor,
        details=row.details,
        prev_hash=row.prev_hash,
    )


# -- the head ----------------------------------------------------------------------------------


def read_audit_head(connection: Connection) -> AuditHead | None:
    """The head of the chain without locking it, or None before the first entry."""
    row = connection.execute(select(audit_head).where(audit_head.c.id == 1)).first()
    return None if row is None else _head(row)


def _head(row: Row[Any]) -> AuditHead:
    return AuditHead(
        last_id=row.last_id, hash=row.hash, anchor_id=row.anchor_id, anchor_hash=row.anchor_hash
    )


def _lock_head(connection: Connection, *, create: bool) -> AuditHead | None:
    """The head, locked against other appenders and pruners until the transaction ends."""
    locked = select(audit_head).where(audit_head.c.id == 1)
    if connection.dialect.name == "postgresql":
        # READ COMMITTED: FOR UPDATE waits for the holder, then returns the newest version of
        # the row, so the next appender chains onto the entry the previous one just committed.
        row = connection.execute(locked.with_for_update()).first()
        if row is None and create:
            # Two first appenders: the loser's INSERT waits for the winner's transaction and
            # then does nothing; the SELECT after it sees (and locks) the winner's row.
            connection.execute(
                postgresql_insert(audit_head).values(_GENESIS).on_conflict_do_nothing()
            )
            row = connection.execute(locked.with_for_update()).first()
    else:
        # SQLite serialises writers with one database lock, taken by the first write of a
        # transaction. Writing first, even when nothing is inserted, takes that lock before the
        # head is read: a deferred transaction that read first could chain onto a stale head.
        if create:
            connection.execute(sqlite_insert(audit_head).values(_GENESIS).on_conflict_do_nothing())
        else:
            connection.execute(update(audit_head).where(audit_head.c.id == 1).values(id=1))
        row = connection.execute(locked).first()
    return None if row is None else _head(row)


# -- append ------------------------------------------------------------------------------------


def append_audit(
    connection: Connection,
    *,
    action: str,
    actor: str,
    details: Mapping[str, Any],
    recorded_at: datetime,
) -> int:
    """Append one entry to the chain, in the caller's transaction; return its id.

    ``action`` names the kind of event (``sweep.batch``, ``subject.erased``, ...), ``actor`` who
    or what acted (``sweep``, ``cli``, a pseudonymous user id). ``details`` is JSON data (see
    :func:`normalise_details`) and must refer to people by **pseudonymous ids only**: never an
    e-mail address, a name, or the personal data being erased. Strings that look like e-mail
    addresses are refused with :class:`ValueError`.

    Appenders are serialised on the head row (``SELECT ... FOR UPDATE`` on PostgreSQL, which
    needs READ COMMITTED, the default; the database write lock on SQLite), which stays locked
    until the caller commits or rolls back: keep the transaction short after appending.
    """
    if not action or len(action) > _MAX_ACTION:
        raise ValueError(f"audit action must be 1 to {_MAX_ACTION} characters: {action!r}")
    if not actor or len(actor) > _MAX_ACTOR:
        raise ValueError(f"audit actor must be 1 to {_MAX_ACTOR} characters: {actor!r}")
    if recorded_at.tzinfo is None:
        raise ValueError("recorded_at must be timezone-aware")
    normal = normalise_details(details)
    if leak := _first_email(normal):
        raise ValueError(f"audit details must not hold e-mail addresses (at {leak})")
    recorded_at = recorded_at.astimezone(UTC)

    head = _lock_head(connection, create=True)
    assert head is not None
    entry_id = head.last_id + 1
    digest = entry_hash(
        entry_id=entry_id,
        recorded_at=recorded_at,
        action=action,
        actor=actor,
        details=normal,
        prev_hash=head.hash,
    )
    connection.execute(
        audit_entry.insert().values(
            id=entry_id,
            recorded_at=recorded_at,
            action=action,
            actor=actor,
            details=normal,
            prev_hash=head.hash,
            hash=digest,
        )
    )
    connection.execute(
        update(audit_head).where(audit_head.c.id == 1).values(last_id=entry_id, hash=digest)
    )
    return entry_id


def _first_email(value: Any, where: str = "details") -> str | None:
    if isinstance(value, str):
        return where if _EMAIL.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            if found := _first_email(key, f"{where} key") or _first_email(item, f"{where}.{key}"):
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            if found := _first_email(item, f"{where}[{index}]"):
                return found
    return None


# -- verify ------------------------------------------------------------------------------------


def verify_audit(
    connection: Connection, *, since: tuple[int, str] | None = None
) -> AuditVerification:
    """Check the whole chain, from the anchor to the head; report the first broken entry.

    With ``since`` (an entry id and the hash a full verification found it to have), only the
    entries after it are checked, once that entry is shown to still have that hash: the cost
    is what was appended since, not the whole log. A checkpoint pruned away since is ignored
    (the whole remaining chain is checked).

    Entries are read in id order, :data:`CHUNK` at a time, so memory stays flat however long
    the log is. Each entry must follow the previous id, carry the previous entry's hash (the
    anchor's for the first), and hash to its own ``hash``; the head must name the last entry
    and its hash; no entry may lie before the anchor or after the head.

    It is exact in a snapshot (the service runs it in REPEATABLE READ on PostgreSQL) and stays
    correct under READ COMMITTED while others append or prune: it checks the entries up to the
    head it read first (newer ones are someone's concurrent appends), and a gap at the old end
    is accepted only when the head's anchor has moved past it (a concurrent prune).
    """
    head = read_audit_head(connection)
    if head is None:
        orphan = connection.execute(_first_entry_where(~select(audit_head.c.id).exists())).scalar()
        if orphan is None:
            return AuditVerification(True, 0, None, None)
        return _broken(0, orphan, "the chain's head is missing")

    if head.last_id < head.anchor_id:
        return _broken(0, head.anchor_id, "the head ends the chain before its own anchor")

    # One statement each, joined to the head, so the head they compare with is their own.
    before_anchor = _first_entry_where(audit_entry.c.id <= _head_column("anchor_id"))
    if (found := connection.execute(before_anchor).scalar()) is not None:
        return _broken(0, found, "the entry lies before the chain's anchor")

    checked = 0
    last_id, last_hash = head.anchor_id, head.anchor_hash
    if since is not None and head.anchor_id < since[0] <= head.last_id:
        kept = connection.execute(
            select(audit_entry.c.hash).where(audit_entry.c.id == since[0])
        ).scalar()
        if kept != since[1]:
            return _broken(0, since[0], "the entry is not what the last full verification found")
        last_id, last_hash = since
    walking = True
    while walking:
        walking = False
        for row in _entries(connection, after=last_id, upto=head.last_id):
            if row.id != last_id + 1:
                moved = read_audit_head(connection)
                if moved is None or moved.anchor_id <= last_id:
                    return _broken(checked, row.id, _missing(last_id + 1, row.id - 1))
                # Pruned since we read the head (READ COMMITTED): go on from the new anchor.
                head, walking = moved, True
                last_id, last_hash = head.anchor_id, head.anchor_hash
                break
            if row.prev_hash != last_hash:
                link = f"entry {last_id}" if last_id > head.anchor_id else "the anchor"
                return _broken(checked, row.id, f"prev_hash is not the hash of {link}")
            if _row_hash(row) != row.hash:
                return _broken(checked, row.id, "its content does not match its hash")
            checked += 1
            last_id, last_hash = row.id, row.hash

    if last_id != head.last_id:
        problem = _missing(last_id + 1, head.last_id)
        return _broken(
            checked, last_id + 1, f"{problem}: the head ends the chain at {head.last_id}"
        )
    if last_hash != head.hash:
        return _broken(checked, last_id, "the head's hash is not this entry's hash")
    beyond = _first_entry_where(audit_entry.c.id > _head_column("last_id"))
    if (found := connection.execute(beyond).scalar()) is not None:
        return _broken(checked, found, "the entry lies after the chain's head")
    return AuditVerification(True, checked, None, None)


def _entries(connection: Connection, *, after: int, upto: int) -> Iterator[Row[Any]]:
    """Entries with ``after < id <= upto`` in id order, :data:`CHUNK` per query."""
    while after < upto:
        rows = connection.execute(
            select(audit_entry)
            .where(audit_entry.c.id > after, audit_entry.c.id <= upto)
            .order_by(audit_entry.c.id)
            .limit(CHUNK)
        ).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].id


def _head_column(name: str) -> ScalarSelect[Any]:
    return select(audit_head.c[name]).where(audit_head.c.id == 1).scalar_subquery()


def _first_entry_where(condition: ColumnElement[bool]) -> Select[tuple[Any]]:
    return select(func.min(audit_entry.c.id)).where(condition)


def _missing(first: int, last: int) -> str:
    return f"entry {first} is missing" if first == last else f"entries {first}-{last} are missing"


def _broken(checked: int, entry_id: int, problem: str) -> AuditVerification:
    return AuditVerification(False, checked, entry_id, problem)


# -- prune -------------------------------------------------------------------------------------


def prune_audit(connection: Connection, *, before: datetime, limit: int) -> int:
    """Delete up to ``limit`` of the oldest entries recorded before ``before``; return how many.

    Only a prefix of the chain goes: from the anchor on, and stopping at the first entry
    recorded at or after ``before`` (entries written "as of" a later date can sit before older
    ones). The head's anchor moves to the last entry deleted, so :func:`verify_audit` starts
    there. Each entry is checked before it goes, and pruning stops before a broken one, so that
    retention never erases the evidence of tampering. Runs in the caller's transaction, holding
    the head's lock like an append; the caller appends its own entry saying what went.
    """
    if limit < 1:
        raise ValueError(f"limit must be positive: {limit}")
    if before.tzinfo is None:
        raise ValueError("before must be timezone-aware")
    head = _lock_head(connection, create=False)
    if head is None:
        return 0
    last_id, last_hash = head.anchor_id, head.anchor_hash
    upto = min(head.last_id, head.anchor_id + limit)
    for row in _entries(connection, after=last_id, upto=upto):
        if (
            row.id != last_id + 1
            or row.recorded_at >= before
            or row.prev_hash != last_hash
            or _row_hash(row) != row.hash
        ):
            break
        last_id, last_hash = row.id, row.hash
    pruned = last_id - head.anchor_id
    if pruned:
        connection.execute(
            audit_entry.delete().where(
                audit_entry.c.id > head.anchor_id, audit_entry.c.id <= last_id
            )
        )
        connection.execute(
            update(audit_head)
            .where(audit_head.c.id == 1)
            .values(anchor_id=last_id, anchor_hash=last_hash)
        )
    return pruned
