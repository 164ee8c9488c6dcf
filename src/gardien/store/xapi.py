"""The xAPI writes and look-ups: clients, learners by actor, statements in, voiding, progress.
Reading statements by the filters of ``GET /statements`` is store/xapi_query.py.

Everything here is set-based: a batch of 50 statements costs a handful of statements whatever
the batch holds (one lookup of known ids, one of learners, one insert, one more for the agents
named besides the actors when there are any, one update of last activity per learner, progress
only for statements on a module's activity).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

import orjson
from sqlalchemy import (
    Connection,
    and_,
    bindparam,
    func,
    insert,
    select,
    update,
)

from gardien.domain.xapi.validate import VOIDED
from gardien.store.bulk import Bulk, Codec
from gardien.store.tables import (
    activity_statement,
    enrolment,
    learning_module,
    module_progress,
    statement_agent,
    xapi_client,
)


@dataclass(frozen=True)
class Client:
    id: int
    name: str
    key: str
    secret_sha256: str


def client_by_key(connection: Connection, key: str) -> Client | None:
    """The active (not revoked) client ``key``."""
    row = connection.execute(
        select(
            xapi_client.c.id, xapi_client.c.name, xapi_client.c.key, xapi_client.c.secret_sha256
        ).where(xapi_client.c.key == key, xapi_client.c.revoked_at.is_(None))
    ).one_or_none()
    return Client(*row) if row is not None else None


def client_name_taken(connection: Connection, name: str) -> bool:
    """Whether a client, active or revoked, is named ``name`` (names are never reused)."""
    found = connection.execute(select(xapi_client.c.id).where(xapi_client.c.name == name)).first()
    return found is not None


def add_client(
    connection: Connection, *, name: str, key: str, secret_sha256: str, now: datetime
) -> int:
    return int(
        connection.execute(
            insert(xapi_client)
            .values(name=name, key=key, secret_sha256=secret_sha256, created_at=now)
            .returning(xapi_client.c.id)
        ).scalar_one()
    )


def revoke_client(connection: Connection, name: str, *, now: datetime) -> bool:
    done = connection.execute(
        update(xapi_client)
        .where(xapi_client.c.name == name, xapi_client.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return bool(done.rowcount)


@dataclass(frozen=True)
class Learner:
    id: int
    pseudonym: str
    email: str
    mbox_sha1sum: str | None
    given_name: str
    family_name: str


# Voiding, built once: SQLAlchemy caches its compiled form. The look-ups every batch makes
# go through the driver instead (:func:`learners_by`, :func:`stored_raw`).
_VOID = (
    update(activity_statement)
    .where(
        activity_statement.c.statement_id.in_(bindparam("targets", expanding=True)),
        activity_statement.c.verb != VOIDED,
    )
    .values(voided=True)
)


_LEARNER_COLUMNS = "id, pseudonym, email, mbox_sha1sum, given_name, family_name"


def learners_by(
    connection: Connection,
    *,
    emails: Iterable[str] = (),
    sha1sums: Iterable[str] = (),
    pseudonyms: Iterable[str] = (),
) -> list[Learner]:
    """The learners named by any of these identifiers (one query, through the driver: it runs
    for every batch of statements, where SQLAlchemy's compilation of ``IN`` lists cost more
    than SQLite's work; store/bulk.py)."""
    bulk = Bulk(connection)
    wanted = [
        (column, values)
        for column, values in (
            ("email", list(emails)),
            ("mbox_sha1sum", list(sha1sums)),
            ("pseudonym", list(pseudonyms)),
        )
        if values
    ]
    if not wanted:
        return []
    where = " OR ".join(f"{column} {bulk.one_of('text')}" for column, _ in wanted)
    rows = bulk.fetch(
        f"SELECT {_LEARNER_COLUMNS} FROM learner WHERE {where}",
        [bulk.listed(values) for _, values in wanted],
    )
    return [Learner(*row) for row in rows]


def present_learners(connection: Connection, ids: Iterable[int]) -> set[int]:
    """Those of the learners ``ids`` that exist."""
    wanted = list(ids)
    if not wanted:
        return set()
    bulk = Bulk(connection)
    rows = bulk.fetch(
        f"SELECT id FROM learner WHERE id {bulk.one_of('bigint')}", [bulk.listed(wanted)]
    )
    return {row[0] for row in rows}


def stored_raw(connection: Connection, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The stored statements among ``ids``, by id."""
    if not ids:
        return {}
    bulk = Bulk(connection)
    raw = "raw" if bulk.dialect == "sqlite" else "raw::text"
    rows = bulk.fetch(
        f"SELECT statement_id, {raw} FROM activity_statement"
        f" WHERE statement_id {bulk.one_of('text')}",
        [bulk.listed(ids)],
    )
    return {statement_id: orjson.loads(text) for statement_id, text in rows}


# The columns of activity_statement a stored statement fills, in :class:`StatementRow`'s order.
STATEMENT_COLUMNS = (
    "statement_id",
    "learner_id",
    "actor_name",
    "verb",
    "object_id",
    "result_success",
    "result_completion",
    "result_score_scaled",
    "timestamp",
    "stored_at",
    "raw",
    "registration",
    "voided",
    "client_id",
)
AGENT_COLUMNS = ("statement_id", "place", "name")


class StatementRow(NamedTuple):
    """One row of activity_statement; ``raw`` is the statement already as JSON text."""

    statement_id: str
    learner_id: int | None
    actor_name: str | None
    verb: str
    object_id: str
    result_success: bool | None
    result_completion: bool | None
    result_score_scaled: float | None
    timestamp: datetime
    stored_at: datetime
    raw: str
    registration: str | None
    voided: bool
    client_id: int | None


# A statement row as the driver stores it (:func:`encoded_statements`).
EncodedRow = tuple[Any, ...]


def encoded_statements(dialect: str, rows: Sequence[StatementRow]) -> list[EncodedRow]:
    """``rows`` in the form the driver of ``dialect`` stores (store/bulk.py ``Codec``), in
    :data:`STATEMENT_COLUMNS`' order; the statement id stays first. Plain Python, no query:
    ingest encodes a batch before its write transaction (on SQLite, before the write lock)."""
    instant = Codec(dialect).instant
    stored: dict[datetime, Any] = {}  # a batch's rows share one storage instant
    encoded = []
    for row in rows:
        stored_at = stored.get(row.stored_at)
        if stored_at is None:
            stored_at = stored[row.stored_at] = instant(row.stored_at)
        encoded.append((*row[:8], instant(row.timestamp), stored_at, *row[10:]))
    return encoded


def insert_encoded(
    connection: Connection,
    encoded: Sequence[EncodedRow],
    agents: Sequence[tuple[str, str, str]] = (),
) -> None:
    """Insert statement rows already ``encoded`` (:func:`encoded_statements`) and their
    ``agents``, through the driver (store/bulk.py): a request's statements are the LRS's hot
    path, and SQLAlchemy's per-value binding cost more than SQLite's own work."""
    bulk = Bulk(connection)
    if encoded:
        bulk.insert_rows(activity_statement, STATEMENT_COLUMNS, encoded)
    if agents:
        bulk.insert_rows(statement_agent, AGENT_COLUMNS, agents)


def void(connection: Connection, targets: Sequence[str]) -> int:
    """Mark the statements ``targets`` voided (voiding statements themselves never are)."""
    if not targets:
        return 0
    done = connection.execute(_VOID, {"targets": list(targets)})
    return int(done.rowcount or 0)


def advance_last_activity(connection: Connection, latest: dict[int, datetime]) -> None:
    """Move each learner's last activity forward to ``latest[id]`` (never back), in learner
    id order: two requests updating the same learners lock them in the same order, so they
    wait for each other instead of deadlocking (PostgreSQL).

    On SQLite, one executemany through the driver. On PostgreSQL, one UPDATE joined with the
    arrays of ids and instants (``unnest``), which costs the server and this process about
    half of one UPDATE per learner (docs/performance.md). Its plan may scan the table in any
    order (a hash join), so it first locks the learners in id order (a sorted select ``FOR NO
    KEY UPDATE``, the lock the UPDATE itself takes: ``FOR UPDATE`` would also wait for the key
    share locks that other batches' inserts take on their learners, and deadlock with them);
    the UPDATE then finds them locked.
    """
    if not latest:
        return
    bulk = Bulk(connection)
    instant = bulk.codec.instant
    ordered = sorted(latest.items())
    if bulk.dialect == "postgresql":
        ids = [learner_id for learner_id, _ in ordered]
        instants = [instant(at) for _, at in ordered]
        connection.exec_driver_sql(_ADVANCE_POSTGRES, (ids, ids, instants))
        return
    bulk.execute_chunk(
        "UPDATE learner SET last_activity_at = ? WHERE id = ? AND last_activity_at < ?",
        [(instant(at), learner_id, instant(at)) for learner_id, at in ordered],
    )


_ADVANCE_POSTGRES = (
    "WITH locked AS ("
    " SELECT id FROM learner WHERE id = ANY(%s::integer[]) ORDER BY id FOR NO KEY UPDATE)"
    " UPDATE learner SET last_activity_at = latest.at"
    " FROM locked, unnest(%s::integer[], %s::timestamptz[]) AS latest(id, at)"
    " WHERE learner.id = locked.id AND latest.id = locked.id"
    " AND learner.last_activity_at < latest.at"
)


@dataclass(frozen=True)
class ModuleOutcome:
    learner_id: int
    activity_id: str
    status: str
    score_scaled: float | None
    at: datetime


def record_progress(connection: Connection, outcomes: Sequence[ModuleOutcome]) -> int:
    """Apply module outcomes to the learners' enrolments on the module's path; rows changed.

    A statement on a module's activity (``learning_module.activity_id``) moves that module's
    progress for the learner's enrolment on its path, then the enrolment's percentage and status.
    Statements on other activities, or by learners not enrolled on the path, change nothing.
    """
    if not outcomes:
        return 0
    # Through the driver: this look-up runs for nearly every batch, and usually finds nothing.
    bulk = Bulk(connection)
    modules = {
        activity_id: (module_id, path_id)
        for module_id, path_id, activity_id in bulk.fetch(
            "SELECT id, path_id, activity_id FROM learning_module"
            f" WHERE activity_id {bulk.one_of('text')}",
            [bulk.listed({o.activity_id for o in outcomes})],
        )
    }
    changed = 0
    touched: set[int] = set()
    for outcome in sorted(outcomes, key=lambda o: (o.learner_id, o.activity_id)):
        found = modules.get(outcome.activity_id)
        if found is None:
            continue
        module_id, path_id = found
        enrolment_id = connection.execute(
            select(enrolment.c.id).where(
                enrolment.c.learner_id == outcome.learner_id, enrolment.c.path_id == path_id
            )
        ).scalar_one_or_none()
        if enrolment_id is None:
            continue
        where = and_(
            module_progress.c.enrolment_id == enrolment_id,
            module_progress.c.module_id == module_id,
        )
        values = {
            "status": outcome.status,
            "score_scaled": outcome.score_scaled,
            "updated_at": outcome.at,
        }
        done = connection.execute(update(module_progress).where(where).values(**values))
        if not done.rowcount:
            connection.execute(
                insert(module_progress).values(
                    enrolment_id=enrolment_id, module_id=module_id, **values
                )
            )
        changed += 1
        touched.add(enrolment_id)
    for enrolment_id in sorted(touched):
        _recompute(connection, enrolment_id)
    return changed


DONE = ("completed", "passed")


def _recompute(connection: Connection, enrolment_id: int) -> None:
    path_id = connection.execute(
        select(enrolment.c.path_id).where(enrolment.c.id == enrolment_id)
    ).scalar_one()
    total = connection.execute(
        select(func.count())
        .select_from(learning_module)
        .where(learning_module.c.path_id == path_id)
    ).scalar_one()
    rows = connection.execute(
        select(module_progress.c.status, module_progress.c.updated_at).where(
            module_progress.c.enrolment_id == enrolment_id
        )
    ).all()
    done = [row for row in rows if row.status in DONE]
    progress = round(100 * len(done) / total) if total else 0
    values: dict[str, Any] = {"progress": progress}
    if total and len(done) == total:
        values.update(status="completed", completed_at=max(row.updated_at for row in done))
    elif rows:
        values["status"] = "in_progress"
    connection.execute(update(enrolment).where(enrolment.c.id == enrolment_id).values(**values))
