"""The queries of the xAPI document resources: documents found by their key digest, written,
listed and deleted; the learner an agent names; canonical activity definitions.

A document about a person may have been written under any of the names that person's agent is
stored under (a learner's pseudonym; the keyed pseudonym of their address under the current
or a retired key): reads look under all of them, a write leaves one document, under the name
it is written with now (``tables/xapi_documents.py``).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from weakref import WeakKeyDictionary

import orjson
from sqlalchemy import Connection, Engine, Table, and_, bindparam, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from gardien.domain.xapi.activities import definitions_in, merge_definition
from gardien.domain.xapi.documents import Kind
from gardien.store.tables import learner, xapi_activity, xapi_activity_profile, xapi_document


def document_key(kind: Kind, *parts: str | None) -> str:
    """The digest a document is found by: SHA-256 of its resource and naming values."""
    return hashlib.sha256(orjson.dumps([kind, *parts])).hexdigest()


def _table(kind: Kind) -> Table:
    return xapi_activity_profile if kind == "activity_profile" else xapi_document


@dataclass(frozen=True)
class Place:
    """Where one document is: ``key`` the digest it is written under, ``keys`` every digest it
    may have been written under (``key`` among them), ``columns`` what names it in its row
    (activity, pseudonym, registration, id; the learner it is linked to)."""

    kind: Kind
    key: str
    keys: Sequence[str]
    columns: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StoredDocument:
    content: bytes
    content_type: str
    etag: str
    updated_at: datetime


def current(connection: Connection, place: Place, *, lock: bool = False) -> StoredDocument | None:
    """The document at ``place`` (the latest, if it was written under several names).

    ``lock`` (a write's read) locks the rows on PostgreSQL until the transaction ends, so that
    two writers check their preconditions one after the other; SQLite's write lock does it.
    """
    table = _table(place.kind)
    query = (
        select(table.c.content, table.c.content_type, table.c.etag, table.c.updated_at)
        .where(table.c.key_sha256.in_(list(place.keys)))
        .order_by(table.c.updated_at.desc(), table.c.id.desc())
    )
    if lock and connection.dialect.name == "postgresql":
        query = query.with_for_update()
    row = connection.execute(query).first()
    return None if row is None else StoredDocument(bytes(row[0]), row[1], row[2], row[3])


def save(
    connection: Connection,
    place: Place,
    *,
    content: bytes,
    content_type: str,
    etag: str,
    now: datetime,
) -> bool:
    """Leave one document at ``place``, under ``place.key``; False when another transaction
    created it meanwhile (nothing written: the caller answers a conflict)."""
    table = _table(place.kind)
    others = [key for key in place.keys if key != place.key]
    if others:
        connection.execute(delete(table).where(table.c.key_sha256.in_(others)))
    values = {
        **place.columns,
        "content": content,
        "content_type": content_type,
        "etag": etag,
        "updated_at": now,
    }
    changed = connection.execute(
        update(table).where(table.c.key_sha256 == place.key).values(**values)
    )
    if changed.rowcount:
        return True
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    added = connection.execute(
        dialect.insert(table)
        .values(key_sha256=place.key, **values)
        .on_conflict_do_nothing(index_elements=["key_sha256"])
    )
    return bool(added.rowcount)


def remove(connection: Connection, place: Place) -> int:
    """Delete the document at ``place`` (under every name); how many rows went."""
    table = _table(place.kind)
    gone = connection.execute(delete(table).where(table.c.key_sha256.in_(list(place.keys))))
    return int(gone.rowcount or 0)


def _listed(
    kind: Kind,
    activity_id: str | None,
    names: Sequence[str],
    registration: str | None,
) -> Any:
    if kind == "activity_profile":
        return xapi_activity_profile.c.activity_id == activity_id
    c = xapi_document.c
    condition = and_(c.kind == kind, c.agent_name.in_(list(names)))
    if activity_id is not None:
        condition = and_(condition, c.activity_id == activity_id)
    if registration is not None:
        condition = and_(condition, c.registration == registration)
    return condition


def document_ids(
    connection: Connection,
    kind: Kind,
    *,
    activity_id: str | None,
    names: Sequence[str] = (),
    registration: str | None = None,
    since: datetime | None = None,
) -> tuple[list[str], datetime | None]:
    """The ids of the documents of one activity and/or agent (and registration, if given),
    changed after ``since`` if given; and when the latest of them changed."""
    table = _table(kind)
    where = _listed(kind, activity_id, names, registration)
    if since is not None:
        where = and_(where, table.c.updated_at > since)
    rows = connection.execute(
        select(table.c.document_id, table.c.updated_at)
        .where(where)
        .order_by(table.c.updated_at, table.c.id)
    ).all()
    ids = list(dict.fromkeys(row.document_id for row in rows))
    return ids, max((row.updated_at for row in rows), default=None)


def remove_states(
    connection: Connection,
    *,
    activity_id: str,
    names: Sequence[str],
    registration: str | None,
) -> int:
    """Delete every State document of an activity and agent (of one registration, if given)."""
    where = _listed("state", activity_id, names, registration)
    gone = connection.execute(delete(xapi_document).where(where))
    return int(gone.rowcount or 0)


# -- the people documents are about ------------------------------------------------------------


@dataclass(frozen=True)
class NamedLearner:
    """A learner an agent names: their id, pseudonym and how xAPI may name their address."""

    id: int
    pseudonym: str
    email: str
    mbox_sha1sum: str | None


def learner_named(
    connection: Connection,
    *,
    email: str | None = None,
    mbox_sha1sum: str | None = None,
    pseudonym: str | None = None,
) -> NamedLearner | None:
    """The learner at ``email``, with ``mbox_sha1sum``, or of ``pseudonym`` (one is given)."""
    c = learner.c
    if email is not None:
        where = c.email == email
    elif mbox_sha1sum is not None:
        where = c.mbox_sha1sum == mbox_sha1sum
    elif pseudonym is not None:
        where = c.pseudonym == pseudonym
    else:
        return None
    row = connection.execute(
        select(c.id, c.pseudonym, c.email, c.mbox_sha1sum).where(where).limit(1)
    ).first()
    return None if row is None else NamedLearner(*row)


def link_documents(connection: Connection, learner_id: int, names: Sequence[str]) -> int:
    """Link to a learner the documents stored under ``names`` (their keyed pseudonyms) before
    they were one: from then on they live and go with the learner. Rows changed."""
    if not names:
        return 0
    changed = connection.execute(
        update(xapi_document)
        .where(xapi_document.c.agent_name.in_(list(names)), xapi_document.c.learner_id.is_(None))
        .values(learner_id=learner_id)
    )
    return int(changed.rowcount or 0)


def documents_of(
    connection: Connection, *, learner_ids: Sequence[int], names: Sequence[str]
) -> list[dict[str, Any]]:
    """Every document about a person, for their export: those linked to their learner records
    and those stored under their keyed pseudonyms. ``content`` is given as text when it is
    UTF-8, else as ``base64:`` and its Base64."""
    conditions = []
    if learner_ids:
        conditions.append(xapi_document.c.learner_id.in_(list(learner_ids)))
    if names:
        conditions.append(xapi_document.c.agent_name.in_(list(names)))
    if not conditions:
        return []
    rows = connection.execute(
        select(xapi_document)
        .where(or_(*conditions))
        .order_by(xapi_document.c.updated_at, xapi_document.c.id)
    )
    return [{**row._asdict(), "content": readable(row.content)} for row in rows]


def readable(content: bytes) -> str:
    """A document's bytes as text a person can read: the text itself, or its Base64."""
    try:
        return bytes(content).decode("utf-8")
    except UnicodeDecodeError:
        return "base64:" + base64.b64encode(bytes(content)).decode()


# -- canonical activities ---------------------------------------------------------------------


def activity_key(activity_id: str) -> str:
    """The digest an activity's row is found by."""
    return hashlib.sha256(activity_id.encode()).hexdigest()


# The definitions last read from each database, by activity key: a batch whose activities
# are all known with nothing new (the usual case: content names the same activities again and
# again) costs no query. Filled only from what was read, never from what a transaction that
# may roll back wrote; bounded; per engine, and gone with it. Another process's change is seen
# at the next read: until then a definition this one already knows is not sent again.
_KNOWN: WeakKeyDictionary[Engine, dict[str, dict[str, Any] | None]] = WeakKeyDictionary()
_KNOWN_MAX = 20_000
_MISSING: Any = object()


@dataclass(frozen=True)
class ActivityNews:
    """What a batch of statements may teach about activities (:func:`activity_news`)."""

    received: dict[str, dict[str, Any] | None]  # activity id -> definition, merged in order
    unknown: dict[str, str]  # key -> activity id: not known, or known with something new


def activity_news(engine: Engine, statements: Iterable[Mapping[str, Any]]) -> ActivityNews:
    """The activities ``statements`` name, and which of them this process does not know with
    nothing new: plain Python and the process's memory, no query, so that ingest works it out
    before its write transaction (on SQLite, before the write lock)."""
    received = definitions_in(statements)
    known = _KNOWN.get(engine, {})
    unknown: dict[str, str] = {}
    for activity_id, definition in received.items():
        key = activity_key(activity_id)
        kept = known.get(key, _MISSING)
        if kept is _MISSING or (
            definition is not None
            and definition != kept
            and merge_definition(kept, definition) != kept
        ):
            unknown[key] = activity_id
    return ActivityNews(received, unknown)


def remember_news(connection: Connection, news: ActivityNews) -> int:
    """Write what ``news`` brings (:func:`activity_news`) in the caller's transaction: at most
    one read, none when every activity is known with nothing new; a write only for an
    activity that is new or whose definition changes. Rows written."""
    keys, received = news.unknown, news.received
    if not keys:
        return 0
    known = _KNOWN.setdefault(connection.engine, {})
    stored = {
        row.key_sha256: row.definition
        for row in connection.execute(
            select(xapi_activity.c.key_sha256, xapi_activity.c.definition).where(
                xapi_activity.c.key_sha256.in_(list(keys))
            )
        )
    }
    if len(known) + len(stored) > _KNOWN_MAX:
        known.clear()
    known.update(stored)
    new, changed = [], []
    # In key order: two requests naming the same new activities in opposite orders would
    # otherwise each wait for the row the other inserted first (PostgreSQL: a deadlock).
    for key, activity_id in sorted(keys.items()):
        definition = received[activity_id]
        if key not in stored:
            new.append({"key_sha256": key, "activity_id": activity_id, "definition": definition})
            continue
        merged = merge_definition(stored[key], definition)
        if merged != stored[key]:
            changed.append({"key": key, "merged": merged})
    if new:
        dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
        connection.execute(
            dialect.insert(xapi_activity).on_conflict_do_nothing(index_elements=["key_sha256"]),
            new,
        )
    if changed:
        connection.execute(
            update(xapi_activity)
            .where(xapi_activity.c.key_sha256 == bindparam("key"))
            .values(definition=bindparam("merged")),
            changed,
        )
    for written in (*(str(row["key_sha256"]) for row in new), *(str(r["key"]) for r in changed)):
        known.pop(written, None)  # read again next time: this transaction may roll back
    return len(new) + len(changed)


def activity_definition(connection: Connection, activity_id: str) -> dict[str, Any] | None:
    """The canonical definition of an activity, None when none is known."""
    found = connection.execute(
        select(xapi_activity.c.definition).where(
            xapi_activity.c.key_sha256 == activity_key(activity_id)
        )
    ).scalar()
    return dict(found) if isinstance(found, dict) else None
