"""Storing xAPI statements: validated, pseudonymised at the door, conflicts and voiding handled,
the learner's last activity and progress moved, all in one transaction per request.

Pseudonymisation (docs/xapi.md): the actor — ``mbox``, ``mbox_sha1sum`` or an ``account`` on
gardien's home page — is resolved to a learner and replaced by an account on gardien's home page
named by the learner's pseudonym. Other people (context instructor and team) are dropped; an
agent or group as object, a group as actor, or a sub-statement about someone else is refused. A
statement that still holds the learner's address or full name anywhere is refused. Statements
about unknown actors are refused, or parked (``GARDIEN_XAPI_UNKNOWN_ACTORS=park``) for the
``parked_statements`` rule's time.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import orjson
from sqlalchemy import Connection

from gardien.domain.clock import Clock
from gardien.domain.lookup import SubjectLookup
from gardien.domain.xapi.identifiers import identifier_text
from gardien.domain.xapi.normalise import normalised
from gardien.domain.xapi.validate import is_voiding, parse_timestamp, statements_equivalent
from gardien.errors import XapiConflictError, XapiValidationError
from gardien.services.importing.pseudonymise import actor as pseudonymous_actor
from gardien.services.importing.pseudonymise import leaks
from gardien.store import xapi as store
from gardien.store.uow import UnitOfWork
from gardien.store.xapi_documents import remember_activities

Unknown = Literal["refuse", "park"]
VERBS_ROOT = "http://adlnet.gov/expapi/verbs/"
OUTCOMES = {f"{VERBS_ROOT}{name}": name for name in ("completed", "passed", "failed")}
VERSION = "1.0.3"
_OTHER_PEOPLE = ("instructor", "team")


@dataclass(frozen=True)
class Stored:
    """What a POST or PUT did: the ids of the statements, in order; how many were parked."""

    ids: list[str]
    parked: int = 0


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


def actor_lookup(key: tuple[str, str] | None, agent: Any, lookup: SubjectLookup) -> str:
    """The keyed lookup a parked statement is filed under: its actor's identifier (an agent
    named otherwise, by its whole canonical JSON), never in clear nor by a plain hash."""
    text = (
        identifier_text(*key)
        if key
        else "agent:" + orjson.dumps(agent, option=orjson.OPT_SORT_KEYS).decode()
    )
    return lookup.of(text)


def store_statements(
    uow: UnitOfWork,
    statements: list[dict[str, Any]],
    *,
    client: store.Client,
    home_page: str,
    clock: Clock,
    lookup: SubjectLookup,
    unknown: Unknown = "refuse",
) -> Stored:
    """Store already validated ``statements`` (one request's) for ``client``; statements about
    unknown people are refused, or parked under the keyed ``lookup`` of their actor."""
    statements = [normalised(statement) for statement in statements]  # context activities: arrays
    home = home_page.rstrip("/")
    now = clock.now()
    stored_at = now.isoformat()
    keys = [actor_key(s["actor"], home) for s in statements]
    for index, (statement, key) in enumerate(zip(statements, keys, strict=True)):
        agent = statement["actor"]
        if isinstance(agent, dict) and agent.get("objectType") == "Group":
            raise XapiValidationError(
                _at(index, len(statements), "actor"), "a group cannot be one learner's activity"
            )
        _refuse_other_people(statement, index, len(statements))
        if key is None and unknown == "refuse":
            raise XapiValidationError(
                _at(index, len(statements), "actor"),
                "gardien knows learners by mbox, mbox_sha1sum or an account on"
                f" {home}; this actor names none",
            )
    with uow:
        connection = uow.connection
        index_by = learners_for(connection, [k for k in keys if k is not None])
        ids: list[str] = []
        rows: list[dict[str, Any]] = []
        parked: list[dict[str, Any]] = []
        documents: dict[str, dict[str, Any]] = {}
        latest: dict[int, datetime] = {}
        outcomes: list[store.ModuleOutcome] = []
        voiding: list[str] = []
        for index, (statement, key) in enumerate(zip(statements, keys, strict=True)):
            # UUIDs compare in any case: stored in lower case, so lookups and voiding match.
            statement_id = str(statement.get("id") or uuid.uuid4()).lower()
            ids.append(statement_id)
            person = index_by.get(key) if key else None
            if person is None:
                if unknown == "refuse":
                    raise XapiValidationError(
                        _at(index, len(statements), "actor"), "no learner is known by this actor"
                    )
                parked.append(
                    {
                        "actor_lookup": actor_lookup(key, statement["actor"], lookup),
                        "statement": {**statement, "id": statement_id},
                    }
                )
                continue
            document = _pseudonymised(
                statement, statement_id, person, home, client, stored_at, index, len(statements)
            )
            documents[statement_id] = document
            timestamp = parse_timestamp(document["timestamp"])
            activity_at = min(timestamp, now)
            if latest.get(person.id) is None or activity_at > latest[person.id]:
                latest[person.id] = activity_at
            rows.append(_row(document, person.id, client.id, timestamp, now))
            target = is_voiding(document)
            if target is not None:
                voiding.append(target)
            elif document["verb"]["id"] in OUTCOMES and _activity(document) is not None:
                outcomes.append(
                    store.ModuleOutcome(
                        learner_id=person.id,
                        activity_id=str(_activity(document)),
                        status=OUTCOMES[document["verb"]["id"]],
                        score_scaled=_scaled(document),
                        at=activity_at,
                    )
                )
        existing = store.stored_raw(connection, list(documents))
        for statement_id, previous in existing.items():
            if not statements_equivalent(previous, documents[statement_id]):
                raise XapiConflictError(statement_id)
        rows = [row for row in rows if row["statement_id"] not in existing]
        store.insert_statements(connection, rows)
        store.void(connection, voiding)
        store.advance_last_activity(connection, latest)
        store.record_progress(connection, outcomes)
        store.park(connection, parked, client_id=client.id, now=now)
        remember_activities(connection, statements)
        uow.commit()
    return Stored(ids=ids, parked=len(parked))


def _at(index: int, count: int, prop: str) -> str:
    return f"[{index}].{prop}" if count > 1 else prop


def _refuse_other_people(statement: dict[str, Any], index: int, count: int) -> None:
    obj = statement.get("object")
    if isinstance(obj, dict) and obj.get("objectType") in ("Agent", "Group"):
        raise XapiValidationError(
            _at(index, count, "object"), "a person as object is not accepted: activities only"
        )
    if isinstance(obj, dict) and obj.get("objectType") == "SubStatement":
        raise XapiValidationError(
            _at(index, count, "object"), "sub-statements name other people: not accepted"
        )


def _pseudonymised(
    statement: dict[str, Any],
    statement_id: str,
    person: store.Learner,
    home: str,
    client: store.Client,
    stored_at: str,
    index: int,
    count: int,
) -> dict[str, Any]:
    # A shallow copy: only top-level properties and the context's people change.
    document = dict(statement)
    document["id"] = statement_id
    document["actor"] = pseudonymous_actor(home, person.pseudonym)
    context = document.get("context")
    if isinstance(context, dict):
        document["context"] = {k: v for k, v in context.items() if k not in _OTHER_PEOPLE}
    document["authority"] = {
        "objectType": "Agent",
        "account": {"homePage": f"{home}/xapi/clients", "name": client.name},
    }
    document["stored"] = stored_at
    document.setdefault("timestamp", stored_at)
    document.setdefault("version", "1.0.0")
    found = leaks(
        orjson.dumps(document).decode(),
        email=person.email,
        full_name=f"{person.given_name} {person.family_name}",
    )
    if found is not None:
        raise XapiValidationError(
            _at(index, count, "statement"),
            f"it still holds the learner's {found} outside the actor: not stored",
        )
    return document


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
    document: dict[str, Any], learner_id: int, client_id: int, timestamp: datetime, now: datetime
) -> dict[str, Any]:
    result = document.get("result") or {}
    registration = (document.get("context") or {}).get("registration")
    return {
        "statement_id": document["id"],
        "learner_id": learner_id,
        "verb": document["verb"]["id"],
        "object_id": _object_id(document),
        "result_success": result.get("success"),
        "result_completion": result.get("completion"),
        "result_score_scaled": _scaled(document),
        "timestamp": timestamp,
        "stored_at": now,
        "raw": document,
        "registration": registration,
        "voided": False,
        "client_id": client_id,
    }
