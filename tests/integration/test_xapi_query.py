"""GET /statements' broader matches on SQLite and PostgreSQL: ``related_activities`` (the
sub-statement's object and every context activity) and statements targeting others by a
StatementRef, voided targets included (Communication 2.1.3.s3, 2.1.4.s1.b2)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, insert

from gardien.domain.clock import FixedClock
from gardien.domain.xapi.validate import validate_batch
from gardien.services.xapi.clients import Authenticator
from gardien.services.xapi.ingest import store_statements
from gardien.store import xapi as store
from gardien.store import xapi_query
from gardien.store.tables import activity_statement
from gardien.store.uow import UnitOfWork
from tests.support.lookup import LOOKUP
from tests.support.xapi_samples import (
    HOME,
    MODULES,
    VERBS,
    add_client,
    basic,
    email,
    load_learners,
    statement,
)

NOW = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
TOPIC = "https://learning.example.org/topics/grammar"
OTHER = "https://learning.example.org/topics/vocabulary"


@pytest.fixture
def client(engine: Engine) -> store.Client:
    load_learners(engine)
    found = Authenticator(engine).client(basic(add_client(engine))["Authorization"])
    assert found is not None
    return found


def _post(engine: Engine, client: store.Client, item: dict[str, Any], at: datetime) -> None:
    store_statements(
        UnitOfWork(engine, write=True),
        validate_batch([item]),
        client=client,
        home_page=HOME,
        clock=FixedClock(at),
        lookup=LOOKUP,
    )


def _insert(engine: Engine, raw: dict[str, Any], at: datetime) -> None:
    """A row as stored, for shapes the ingest of today refuses (sub-statements) or no longer
    writes (a single context activity, stored before normalisation)."""
    with engine.begin() as connection:
        [lea] = store.learners_by(connection, emails=[email("lea")])
        target = raw["object"]
        connection.execute(
            insert(activity_statement),
            [
                {
                    "statement_id": raw["id"],
                    "learner_id": lea.id,
                    "verb": raw["verb"]["id"],
                    "object_id": str(target.get("id", "")),
                    "timestamp": at,
                    "stored_at": at,
                    "raw": raw,
                    "voided": False,
                }
            ],
        )


def _query(engine: Engine, **filters: Any) -> list[str]:
    with engine.connect() as connection:
        found, _ = xapi_query.query_statements(connection, xapi_query.StatementQuery(**filters))
    return [s["id"] for s in found]


def _sub(**extra: Any) -> dict[str, Any]:
    inner = {**statement("lea", activity=OTHER), "objectType": "SubStatement", **extra}
    del inner["id"]
    return inner


# The first is found by a substring search first on SQLite, the second (not ASCII) is not.
@pytest.mark.parametrize("topic", [TOPIC, "https://learning.example.org/thèmes/grammaire"])
def test_related_activities_match_the_sub_statement_and_every_context_activity(
    engine: Engine, client: store.Client, topic: str
) -> None:
    component = {"interactionType": "choice", "choices": [{"id": topic}]}
    rows = {
        "object": statement("lea", activity=topic),
        "parent": statement("lea", context={"contextActivities": {"parent": [{"id": topic}]}}),
        "single category": statement(
            "lea", context={"contextActivities": {"category": {"id": topic}}}
        ),
        "sub-statement object": statement("lea", object=_sub(object={"id": topic})),
        "sub-statement grouping": statement(
            "lea", object=_sub(context={"contextActivities": {"grouping": [{"id": topic}]}})
        ),
        "only a component id": statement(
            "lea",
            context={"contextActivities": {"other": [{"id": OTHER, "definition": component}]}},
        ),
        "only an extension": statement(
            "lea", context={"extensions": {"https://x.example.org/e": {"id": topic}}}
        ),
    }
    for n, raw in enumerate(rows.values()):
        _insert(engine, raw, NOW + timedelta(seconds=n))
    ids = {name: raw["id"] for name, raw in rows.items()}
    assert _query(engine, activity=topic) == [ids["object"]]
    related = _query(engine, activity=topic, related_activities=True, ascending=True)
    assert related == [
        ids[name]
        for name in (
            "object",
            "parent",
            "single category",
            "sub-statement object",
            "sub-statement grouping",
        )
    ]
    # Paged one at a time, the broader match keeps its order.
    seen: list[str] = []
    after = None
    with engine.connect() as connection:
        while True:
            page, after = xapi_query.query_statements(
                connection,
                xapi_query.StatementQuery(
                    activity=topic, related_activities=True, ascending=True, limit=1, after=after
                ),
            )
            seen += [s["id"] for s in page]
            if after is None:
                break
    assert seen == related


def test_statements_targeting_a_matching_statement_match_too(
    engine: Engine, client: store.Client
) -> None:
    verb = f"{VERBS}experienced"
    voided = statement("lea", verb="experienced", activity=TOPIC)
    voiding = statement(
        "noe",
        verb="voided",
        object={"objectType": "StatementRef", "id": voided["id"].upper()},
    )
    comment = statement(  # targets the voiding statement: two links from the voided one
        "noe", verb="commented", object={"objectType": "StatementRef", "id": voiding["id"]}
    )
    unrelated = statement("noe", verb="commented", activity=OTHER)
    for n, item in enumerate((voided, voiding, comment, unrelated)):
        _post(engine, client, item, NOW + timedelta(seconds=n))
    chain = [voiding["id"], comment["id"]]
    assert _query(engine, verb=verb, ascending=True) == chain
    assert _query(engine, activity=TOPIC, ascending=True) == chain
    assert _query(engine, activity=TOPIC, related_activities=True, ascending=True) == chain
    with engine.connect() as connection:
        [lea] = store.learners_by(connection, emails=[email("lea")])
    # The agent filter too follows the chain (lea is the voided statement's actor).
    lea_only = xapi_query.AgentFilter(learner_id=lea.id)
    assert _query(engine, agent=lea_only, ascending=True) == chain
    # Time filters apply to the statement returned, not to the one it targets.
    assert _query(engine, verb=verb, since=NOW + timedelta(seconds=1)) == [comment["id"]]
    assert _query(engine, verb=verb, until=NOW + timedelta(seconds=1)) == [voiding["id"]]
    assert _query(engine, verb=verb, limit=1) == [comment["id"]]
    # Without a filter, every statement that is not voided.
    assert _query(engine, ascending=True) == [*chain, unrelated["id"]]
    assert _query(engine, verb=f"{VERBS}commented", ascending=True) == [
        comment["id"],
        unrelated["id"],
    ]


def test_references_are_followed_to_the_depth_limit(engine: Engine, client: store.Client) -> None:
    first = statement("lea", verb="experienced", activity=MODULES["M1"])
    chain = [first]
    for _ in range(xapi_query.REFERENCE_DEPTH + 1):
        previous = chain[-1]["id"]
        chain.append(
            statement(
                "lea",
                verb="commented",
                object={"objectType": "StatementRef", "id": previous},
                id=str(uuid.uuid4()),
            )
        )
    for n, item in enumerate(chain):
        _post(engine, client, item, NOW + timedelta(seconds=n))
    found = _query(engine, verb=f"{VERBS}experienced", ascending=True)
    assert found == [item["id"] for item in chain[: xapi_query.REFERENCE_DEPTH + 1]]
