"""Storing xAPI statements: validated, pseudonymised at the door, conflicts and voiding handled,
the learner's last activity and progress moved; the writes of a request in one transaction.

Pseudonymisation (docs/xapi.md, domain/xapi/pseudonyms.py): every agent a statement names —
actor, group members, an agent or group as object, a sub-statement's, the context's instructor
and team — is stored under a pseudonym, never an address or a name. An actor that names a
learner (``mbox``, ``mbox_sha1sum`` or an ``account`` on gardien's home page named by their
pseudonym) becomes the learner's own pseudonymous account and the statement is theirs
(``learner_id``, last activity, progress); any other actor, groups included, gets a keyed
pseudonym and the statement no learner, until one appears with that identifier
(services/xapi/linking.py) or the ``unlinked_statements`` rule deletes it. A learner's
statement that still holds their address or full name anywhere is refused. The authority is
the client's account. A batch is stored whole or not at all.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import Connection

from gardien.domain.clock import Clock
from gardien.domain.lookup import SubjectLookup
from gardien.domain.xapi.identifiers import mbox_sha1sum
from gardien.domain.xapi.normalise import normalised
from gardien.domain.xapi.pseudonyms import Pseudonyms, stored_places
from gardien.domain.xapi.validate import is_voiding, parse_timestamp, statements_equivalent
from gardien.errors import XapiConflictError, XapiValidationError
from gardien.services.importing.pseudonymise import actor as pseudonymous_actor
from gardien.store import xapi as store
from gardien.store.uow import UnitOfWork
from gardien.store.write_gate import write_gate
from gardien.store.xapi_documents import activity_news, remember_news

VERBS_ROOT = "http://adlnet.gov/expapi/verbs/"
OUTCOMES = {f"{VERBS_ROOT}{name}": name for name in ("completed", "passed", "failed")}
VERSION = "1.0.3"


@dataclass(frozen=True)
class Stored:
    """What a POST or PUT did: the ids of the statements, in order."""

    ids: list[str]


def actor_key(agent: Any, home: str) -> tuple[str, str] | None:
    """("email" | "sha1" | "pseudonym", value) naming a learner, or None if it cannot."""
    if not isinstance(agent, dict) or agent.get("objectType") == "Group":
        return None
    mbox = agent.get("mbox")
    if isinstance(mbox, str):
        return ("email", mbox.removeprefix("mailto:").strip().lower())
    digest = agent.get("mbox_sha1sum")
    if isinstance(digest, str):
        return ("sha1", digest.lower())
    account = agent.get("account")
    if isinstance(account, dict) and str(account.get("homePage", "")).rstrip("/") == home:
        return ("pseudonym", str(account.get("name", "")))
    return None


def learners_for(
    connection: Connection, keys: list[tuple[str, str]]
) -> dict[tuple[str, str], store.Learner]:
    """The learners the actor keys of :func:`actor_key` name, by key (one query)."""
    found = store.learners_by(
        connection,
        emails=[value for kind, value in keys if kind == "email"],
        sha1sums=[value for kind, value in keys if kind == "sha1"],
        pseudonyms=[value for kind, value in keys if kind == "pseudonym"],
    )
    index: dict[tuple[str, str], store.Learner] = {("email", x.email): x for x in found}
    index.update({("sha1", x.mbox_sha1sum): x for x in found if x.mbox_sha1sum})
    index.update({("pseudonym", x.pseudonym): x for x in found})
    return index


@dataclass
class _Batch:
    """What one request stores, gathered statement by statement."""

    ids: list[str]
    documents: dict[str, dict[str, Any]]
    sent: dict[str, dict[str, Any]]
    rows: list[store.StatementRow]
    agents: list[tuple[str, str, str]]
    latest: dict[int, datetime]
    outcomes: list[store.ModuleOutcome]
    voiding: list[str]
    encoded: list[store.EncodedRow] = field(default_factory=list)  # rows for the driver


def store_statements(
    uow: UnitOfWork,
    statements: list[dict[str, Any]],
    *,
    client: store.Client,
    home_page: str,
    clock: Clock,
    lookup: SubjectLookup,
) -> Stored:
    """Store already validated ``statements`` (one request's) for ``client``, every agent
    pseudonymised under ``lookup``'s keys; whole, or nothing when one is refused.

    On SQLite the statements are pseudonymised, serialised and encoded for the driver before
    the write transaction opens, from the learners a read finds, and the activities they name
    are compared with those this process knows: that is most of a batch's cost, and SQLite's write
    lock is one for the whole database, so holding it only for the writes lets workers prepare
    their batches side by side. The write transaction checks the learners again and prepares
    the batch anew in the rare case they changed in between (a learner imported or erased), so
    what is stored is exactly what one transaction would have stored. PostgreSQL's writers run
    together: there one transaction reads the learners and writes (a read of its own would
    only add a connection and its round trips: measured, about 8 % fewer statements a second).
    """
    statements = [normalised(statement) for statement in statements]  # context activities: arrays
    names = Pseudonyms(lookup, home_page)
    now = clock.now()
    dialect = uow.engine.dialect.name
    keys = [actor_key(s["actor"], names.learner_home) for s in statements]
    wanted = [key for key in keys if key is not None]
    batch: _Batch | None = None
    news = activity_news(uow.engine, statements)  # no query: before the write transaction
    if write_gate(uow.engine) is not None:  # SQLite: one writer at a time, prepare before
        with UnitOfWork(uow.engine) as reading:
            people = learners_for(reading.connection, wanted) if wanted else {}
        batch = _prepared(statements, keys, people, names, client, now, dialect)
    with uow:
        connection = uow.connection
        if batch is None or (wanted and not _unchanged(connection, wanted, people)):
            people = learners_for(connection, wanted) if wanted else {}
            batch = _prepared(statements, keys, people, names, client, now, dialect)
        existing = store.stored_raw(connection, list(batch.documents))
        for statement_id, previous in existing.items():
            if not _same(previous, batch.documents[statement_id], batch.sent[statement_id], names):
                raise XapiConflictError(statement_id)
        rows = [row for row in batch.encoded if row[0] not in existing]  # id first
        agents = [row for row in batch.agents if row[0] not in existing]
        store.insert_encoded(connection, rows, agents)
        store.void(connection, batch.voiding)
        store.advance_last_activity(connection, batch.latest)
        store.record_progress(connection, batch.outcomes)
        remember_news(connection, news)
        uow.commit()
    return Stored(ids=batch.ids)


def _unchanged(
    connection: Connection,
    wanted: list[tuple[str, str]],
    people: dict[tuple[str, str], store.Learner],
) -> bool:
    """Whether the learners ``people`` found before the write transaction are still those it
    would find: each one still there (not erased), and still none for the identifiers that
    named nobody (no learner imported since)."""
    ids = {person.id for person in people.values()}
    if store.present_learners(connection, ids) != ids:
        return False
    nobody = [key for key in wanted if key not in people]
    return not nobody or not learners_for(connection, nobody)


def _prepared(
    statements: list[dict[str, Any]],
    keys: list[tuple[str, str] | None],
    people: dict[tuple[str, str], store.Learner],
    names: Pseudonyms,
    client: store.Client,
    now: datetime,
    dialect: str,
) -> _Batch:
    """The batch as it will be stored: each statement pseudonymised, serialised once and
    checked for leaks of its learner's identity; its rows (also as the driver of ``dialect``
    stores them), agents, voiding and progress."""
    stored_at = now.isoformat()
    batch = _Batch([], {}, {}, [], [], {}, [], [])
    for index, (statement, key) in enumerate(zip(statements, keys, strict=True)):
        # UUIDs compare in any case: stored in lower case, so lookups and voiding match.
        statement_id = str(statement.get("id") or uuid.uuid4()).lower()
        batch.ids.append(statement_id)
        person = people.get(key) if key else None
        document = _pseudonymised(statement, statement_id, person, names, client, stored_at)
        # Serialised once: checked for leaks, then stored as it is.
        text = orjson.dumps(document).decode()
        if person is not None:
            _refuse_leaks(text, person, _at(index, len(statements), "statement"))
        _add(batch, document, text, statement, person, names, client, now)
    batch.encoded = store.encoded_statements(dialect, batch.rows)
    return batch


def _add(
    batch: _Batch,
    document: dict[str, Any],
    text: str,
    statement: dict[str, Any],
    person: store.Learner | None,
    names: Pseudonyms,
    client: store.Client,
    now: datetime,
) -> None:
    statement_id = document["id"]
    batch.documents[statement_id] = document
    batch.sent[statement_id] = statement
    timestamp = parse_timestamp(document["timestamp"])
    if person is not None:
        actor_name: str | None = person.pseudonym
        activity_at = min(timestamp, now)
        if batch.latest.get(person.id) is None or activity_at > batch.latest[person.id]:
            batch.latest[person.id] = activity_at
    else:
        actor_name = names.stored_name(statement["actor"])
    learner_id = person.id if person is not None else None
    batch.rows.append(_row(document, text, learner_id, actor_name, client.id, timestamp, now))
    batch.agents.extend((statement_id, place, name) for place, name in stored_places(document))
    target = is_voiding(document)
    if target is not None:
        batch.voiding.append(target)
    elif person is not None and document["verb"]["id"] in OUTCOMES:
        activity = _activity(document)
        if activity is not None:
            batch.outcomes.append(
                store.ModuleOutcome(
                    learner_id=person.id,
                    activity_id=activity,
                    status=OUTCOMES[document["verb"]["id"]],
                    score_scaled=_scaled(document),
                    at=min(timestamp, now),
                )
            )


def _at(index: int, count: int, prop: str) -> str:
    return f"[{index}].{prop}" if count > 1 else prop


def _pseudonymised(
    statement: dict[str, Any],
    statement_id: str,
    person: store.Learner | None,
    names: Pseudonyms,
    client: store.Client,
    stored_at: str,
) -> dict[str, Any]:
    """The statement as stored: every agent by pseudonym, the learner's own as actor, the
    client as authority, ``stored`` now."""
    source = statement
    if person is not None:
        # Already a pseudonym: the walk below keeps it, and computes no digest for it.
        source = {**statement, "actor": pseudonymous_actor(names.learner_home, person.pseudonym)}
    document = names.statement(source)
    document["id"] = statement_id
    document["authority"] = {
        "objectType": "Agent",
        "account": {"homePage": f"{names.learner_home}/xapi/clients", "name": client.name},
    }
    document["stored"] = stored_at
    document.setdefault("timestamp", stored_at)
    document.setdefault("version", "1.0.0")
    return document


def _refuse_leaks(text: str, person: store.Learner, where: str) -> None:
    email, digest, full_name = _identity(person.email, person.given_name, person.family_name)
    lowered = text.lower()
    found = (
        "e-mail address"
        if email in lowered
        else "hashed e-mail address (mbox_sha1sum)"
        if digest in lowered
        else "full name"
        if full_name and full_name in lowered
        else None
    )
    if found is not None:
        raise XapiValidationError(
            where, f"it still holds the learner's {found} outside the actor: not stored"
        )


@lru_cache(maxsize=4096)
def _identity(email: str, given_name: str, family_name: str) -> tuple[str, str, str]:
    """What of a learner's identity a stored statement must not hold, as the leak check
    looks for it (services/importing/pseudonymise.py, ``leaks``): computed once a learner."""
    return email.lower(), mbox_sha1sum(email), f"{given_name} {family_name}".strip().lower()


def _same(
    previous: dict[str, Any],
    document: dict[str, Any],
    statement: dict[str, Any],
    names: Pseudonyms,
) -> bool:
    """Whether ``statement``, stored as ``document``, repeats the ``previous`` one: also when
    it was stored before its actor became a learner, under the actor's keyed pseudonym."""
    if statements_equivalent(previous, document):
        return True
    before = {**document, "actor": names.agent(statement["actor"])}
    return statements_equivalent(previous, before)


def _activity(document: dict[str, Any]) -> str | None:
    obj = document["object"]
    if isinstance(obj, dict) and obj.get("objectType", "Activity") == "Activity":
        return str(obj["id"])
    return None


def _object_id(document: dict[str, Any]) -> str:
    obj = document["object"]
    return str(obj.get("id", "")) if isinstance(obj, dict) else ""


def _scaled(document: dict[str, Any]) -> float | None:
    score = (document.get("result") or {}).get("score") or {}
    value = score.get("scaled")
    return float(value) if isinstance(value, int | float) else None


def _row(
    document: dict[str, Any],
    text: str,
    learner_id: int | None,
    actor_name: str | None,
    client_id: int,
    timestamp: datetime,
    now: datetime,
) -> store.StatementRow:
    result = document.get("result") or {}
    registration = (document.get("context") or {}).get("registration")
    return store.StatementRow(
        statement_id=document["id"],
        learner_id=learner_id,
        actor_name=actor_name,
        verb=document["verb"]["id"],
        object_id=_object_id(document),
        result_success=result.get("success"),
        result_completion=result.get("completion"),
        result_score_scaled=_scaled(document),
        timestamp=timestamp,
        stored_at=now,
        raw=text,
        registration=registration,
        voided=False,
        client_id=client_id,
    )
