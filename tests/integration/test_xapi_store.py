"""The LRS's storage on SQLite and PostgreSQL: pseudonymised rows, conflicts, voiding, every
query filter with paging, progress and last activity (the HTTP side is tests/e2e/test_xapi.py)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, delete, insert, select

from gardien.cli.main import main
from gardien.domain.clock import FixedClock
from gardien.domain.xapi.identifiers import mbox_sha1sum
from gardien.domain.xapi.validate import validate_batch
from gardien.errors import InvalidInputError, XapiConflictError, XapiValidationError
from gardien.services.xapi import ingest
from gardien.services.xapi.clients import Authenticator
from gardien.services.xapi.ingest import store_statements
from gardien.store import xapi as store
from gardien.store import xapi_query
from gardien.store.engine import make_engine
from gardien.store.tables import activity_statement, enrolment, learner, xapi_client
from gardien.store.uow import UnitOfWork
from tests.support.lookup import LOOKUP
from tests.support.threads import run_together
from tests.support.xapi_samples import (
    HOME,
    MODULES,
    PEOPLE,
    VERBS,
    add_client,
    basic,
    email,
    load_learners,
    statement,
)

NOW = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)


def post(engine: Engine, client: store.Client, *items: dict[str, Any], at: datetime = NOW) -> Any:
    return store_statements(
        UnitOfWork(engine, write=True),
        validate_batch(list(items)),
        client=client,
        home_page=HOME,
        clock=FixedClock(at),
        lookup=LOOKUP,
    )


@pytest.fixture
def client(engine: Engine) -> store.Client:
    load_learners(engine)
    made = add_client(engine)
    found = Authenticator(engine).client(basic(made)["Authorization"])
    assert found is not None
    return found


def pseudonym(engine: Engine, name: str) -> str:
    with engine.connect() as connection:
        return str(
            connection.execute(
                select(learner.c.pseudonym).where(learner.c.email == email(name))
            ).scalar_one()
        )


def test_credentials_are_checked_against_the_stored_digest(engine: Engine) -> None:
    made = add_client(engine)
    auth = Authenticator(engine)
    assert auth.client(basic(made)["Authorization"]) is not None
    wrong = basic(made)["Authorization"][:-4] + "AAAA"
    assert auth.client(wrong) is None
    assert auth.client(None) is None
    with engine.connect() as connection:
        assert made.secret not in str(connection.execute(select(store.xapi_client)).all())


def test_a_client_name_is_never_given_twice(
    engine: Engine, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    add_client(engine, "Outil auteur")
    with pytest.raises(InvalidInputError, match="exists already") as refused:
        add_client(engine, " Outil auteur ")
    assert refused.value.field == "name"
    # Revoked, the name stays taken: stored statements name their client by it.
    argv = ["--database-url", database_url, "xapi", "client"]
    assert main([*argv, "revoke", "Outil auteur"]) == 0
    capsys.readouterr()
    assert main([*argv, "add", "Outil auteur"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == (
        "gardien: name: a client named 'Outil auteur' exists already"
        " (revoked clients keep their name)\n"
    )
    with engine.connect() as connection:
        assert connection.execute(select(xapi_client.c.name)).scalars().all() == ["Outil auteur"]


def test_rows_are_pseudonymous_and_conflicts_and_repeats_are_told_apart(
    engine: Engine, client: store.Client
) -> None:
    first = statement("lea")
    post(engine, client, first)
    post(engine, client, first)  # the same again: stored once
    with engine.connect() as connection:
        rows = connection.execute(select(activity_statement)).all()
    assert len(rows) == 1
    assert rows[0].raw["actor"]["account"] == {"homePage": HOME, "name": pseudonym(engine, "lea")}
    assert all(address not in str(rows[0].raw) for address, _, _ in PEOPLE.values())
    with pytest.raises(XapiConflictError):
        post(engine, client, {**first, "verb": {"id": f"{VERBS}completed"}})
    # Someone who is no learner: stored all the same, under a keyed pseudonym, no learner.
    stranger = statement(actor={"mbox": "mailto:inconnu@example.com", "name": "Ino Connu"})
    post(engine, client, stranger)
    with engine.connect() as connection:
        row = connection.execute(
            select(activity_statement).where(activity_statement.c.statement_id == stranger["id"])
        ).one()
    assert row.learner_id is None
    assert row.actor_name == LOOKUP.of(f"sha1:{mbox_sha1sum('inconnu@example.com')}")
    assert row.raw["actor"] == {
        "objectType": "Agent",
        "account": {"homePage": f"{HOME}/pseudonyms", "name": row.actor_name},
    }
    assert "inconnu" not in str(row.raw) and "ino connu" not in str(row.raw).lower()
    # A learner's address outside the actor is still refused, with nothing stored.
    with pytest.raises(XapiValidationError) as refused:
        post(engine, client, statement("lea", result={"response": email("lea")}))
    assert refused.value.prop == "statement"


def test_queries_filter_and_page_in_stored_order(engine: Engine, client: store.Client) -> None:
    items = [
        statement("lea"),
        statement("noe", verb="completed", activity=MODULES["M2"]),
        statement("lea", context={"registration": "5c5d8cbe-2b9b-4f59-8a0c-2f1f0f0f0f01"}),
    ]
    for n, item in enumerate(items):
        post(engine, client, item, at=NOW + timedelta(seconds=n))
    ids = [item["id"] for item in items]
    with engine.connect() as connection:
        [lea] = store.learners_by(connection, emails=[email("lea")])

        def run(**filters: Any) -> list[str]:
            found, _ = xapi_query.query_statements(connection, xapi_query.StatementQuery(**filters))
            return [s["id"] for s in found]

        assert run() == ids[::-1]
        assert run(ascending=True) == ids
        assert run(agent=xapi_query.AgentFilter(learner_id=lea.id)) == [ids[2], ids[0]]
        # A learner's statements are theirs by learner id, not by the actor's name.
        assert run(agent=xapi_query.AgentFilter(names=(lea.pseudonym,))) == []
        assert run(agent=xapi_query.AgentFilter()) == []
        assert run(verb=f"{VERBS}completed") == [ids[1]]
        assert run(activity=MODULES["M2"]) == [ids[1]]
        assert run(registration="5c5d8cbe-2b9b-4f59-8a0c-2f1f0f0f0f01") == [ids[2]]
        assert run(since=NOW, ascending=True) == ids[1:]
        assert run(until=NOW, ascending=True) == ids[:1]
        page, after = xapi_query.query_statements(connection, xapi_query.StatementQuery(limit=2))
        assert [s["id"] for s in page] == [ids[2], ids[1]] and after is not None
        rest, end = xapi_query.query_statements(
            connection, xapi_query.StatementQuery(limit=2, after=after)
        )
        assert [s["id"] for s in rest] == [ids[0]] and end is None


def test_voiding_hides_the_target_from_queries(engine: Engine, client: store.Client) -> None:
    target = statement("lea")
    post(engine, client, target)
    voiding = statement(
        "lea", verb="voided", object={"objectType": "StatementRef", "id": target["id"]}
    )
    post(engine, client, voiding)
    with engine.connect() as connection:
        assert xapi_query.one_statement(connection, target["id"], voided=False) is None
        assert xapi_query.one_statement(connection, target["id"], voided=True) is not None
        found, _ = xapi_query.query_statements(connection, xapi_query.StatementQuery())
    assert [s["id"] for s in found] == [voiding["id"]]


def test_activity_moves_the_clock_and_module_outcomes_the_progress(
    engine: Engine, client: store.Client
) -> None:
    post(engine, client, statement("noe", verb="passed", timestamp="2026-01-20T08:00:00Z"))
    # A timestamp in the future counts as now: content cannot stretch the retention clock.
    post(
        engine,
        client,
        statement(
            "noe", verb="completed", activity=MODULES["M2"], timestamp="2030-01-01T00:00:00Z"
        ),
    )
    with engine.connect() as connection:
        last = connection.execute(
            select(learner.c.last_activity_at).where(learner.c.email == email("noe"))
        ).scalar_one()
        progress = connection.execute(
            select(enrolment.c.progress, enrolment.c.status)
            .join(learner, learner.c.id == enrolment.c.learner_id)
            .where(learner.c.email == email("noe"))
        ).one()
    assert last == NOW
    assert tuple(progress) == (100, "completed")
    assert date(2026, 2, 1) == last.date()


def test_ids_match_in_any_case(engine: Engine, client: store.Client) -> None:
    target = statement("lea")
    target["id"] = target["id"].upper()
    post(engine, client, target)
    post(engine, client, target)  # the same, found again
    voiding = statement(
        "lea", verb="voided", object={"objectType": "StatementRef", "id": target["id"].lower()}
    )
    post(engine, client, voiding)
    with engine.connect() as connection:
        assert xapi_query.one_statement(connection, target["id"].lower(), voided=True) is not None


def _send_together(
    database_url: str,
    client: store.Client,
    *senders: Callable[[int], list[dict[str, Any]]],
    rounds: int,
) -> list[BaseException]:
    """Each of ``senders`` posts its batches (``sender(n)``, n from 0 to ``rounds`` - 1)
    through an engine of its own, all at once; the errors they met."""
    engines = [make_engine(database_url) for _ in senders]
    failures: list[BaseException] = []

    def sending(own: Engine, batch_of: Callable[[int], list[dict[str, Any]]]) -> Callable[[], None]:
        def send() -> None:
            try:
                for n in range(rounds):
                    post(own, client, *batch_of(n))
            except BaseException as error:  # collected, then asserted in the main thread
                failures.append(error)

        return send

    try:
        run_together(
            *(sending(own, batch_of) for own, batch_of in zip(engines, senders, strict=True))
        )
    finally:
        for own in engines:
            own.dispose()
    return failures


def _stored(engine: Engine) -> int:
    with engine.connect() as connection:
        return len(connection.execute(select(activity_statement.c.id)).all())


def test_concurrent_requests_on_the_same_learners_never_deadlock(
    engine: Engine, client: store.Client, database_url: str
) -> None:
    # Each request updates both learners' last activity; in opposite orders they would lock
    # them in opposite orders, were the updates not sorted by learner id.
    def by(*names: str) -> Callable[[int], list[dict[str, Any]]]:
        return lambda n: [
            statement(name, timestamp=f"2026-01-{10 + n:02d}T10:00:00Z") for name in names
        ]

    senders = (by("lea", "noe"), by("noe", "lea"))
    assert _send_together(database_url, client, *senders, rounds=15) == []
    assert _stored(engine) == 2 * 15 * 2


# SQLite only: PostgreSQL reads the learners in the write transaction itself.
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _bare_learner(name: str, address: str) -> dict[str, Any]:
    return {
        "pseudonym": str(uuid.uuid4()),
        "email": address,
        "mbox_sha1sum": hashlib.sha1(f"mailto:{address}".encode()).hexdigest(),
        "given_name": name,
        "family_name": "Entre-Deux",
        "created_at": NOW - timedelta(days=30),
        "last_activity_at": NOW - timedelta(days=30),
    }


def _between_read_and_write(
    monkeypatch: pytest.MonkeyPatch, engine: Engine, change: Callable[[Any], None]
) -> None:
    """Run ``change`` (in its own transaction) right after the read that finds the learners,
    before the write transaction opens: what another process may do in between (on SQLite,
    where the batch is prepared before the write lock is taken)."""
    real = ingest.learners_for
    calls: list[int] = []

    def first_read_then_change(connection: Any, keys: Any) -> Any:
        found = real(connection, keys)
        if not calls:
            calls.append(1)
            with engine.begin() as other:
                change(other)
        return found

    monkeypatch.setattr(ingest, "learners_for", first_read_then_change)


def _post_by(engine: Engine, client: store.Client, address: str) -> dict[str, Any]:
    sent = statement(actor={"objectType": "Agent", "mbox": f"mailto:{address}"})
    post(engine, client, sent)
    return sent


def _row_of(engine: Engine, statement_id: str) -> Any:
    with engine.connect() as connection:
        return connection.execute(
            select(activity_statement.c.learner_id, activity_statement.c.actor_name).where(
                activity_statement.c.statement_id == statement_id
            )
        ).one()


@SQLITE_ONLY
def test_a_learner_imported_while_a_batch_is_prepared_gets_its_statements(
    engine: Engine, client: store.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    address = "zoe.entre-deux@example.org"
    person = _bare_learner("Zoé", address)
    _between_read_and_write(monkeypatch, engine, lambda c: c.execute(insert(learner), person))
    sent = _post_by(engine, client, address)
    with engine.connect() as connection:
        zoe = connection.execute(select(learner.c.id).where(learner.c.email == address)).scalar()
    assert _row_of(engine, sent["id"]) == (zoe, person["pseudonym"])


@SQLITE_ONLY
def test_a_learner_erased_while_a_batch_is_prepared_leaves_it_unlinked(
    engine: Engine, client: store.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    address = "yann.entre-deux@example.org"
    person = _bare_learner("Yann", address)
    with engine.begin() as connection:
        connection.execute(insert(learner), person)
    _between_read_and_write(
        monkeypatch, engine, lambda c: c.execute(delete(learner).where(learner.c.email == address))
    )
    sent = _post_by(engine, client, address)
    learner_id, actor_name = _row_of(engine, sent["id"])
    assert learner_id is None
    assert actor_name != person["pseudonym"] and address not in actor_name


ROUNDS, NAMED = 30, 12


def test_concurrent_requests_naming_the_same_new_activities_never_deadlock(
    engine: Engine, client: store.Client, database_url: str
) -> None:
    # Both requests name the same activities, unknown until then, in opposite orders: were
    # they remembered in the order named, each would wait for the row the other inserted
    # first (found by bench/ingest.py on PostgreSQL: "deadlock detected", then a 500).
    def naming(name: str, backwards: bool) -> Callable[[int], list[dict[str, Any]]]:
        def batch(n: int) -> list[dict[str, Any]]:
            named = [f"https://example.org/course-{n}/module-{m}" for m in range(NAMED)]
            return [
                statement(name, activity=activity)
                for activity in (reversed(named) if backwards else named)
            ]

        return batch

    senders = (naming("lea", False), naming("noe", True))
    assert _send_together(database_url, client, *senders, rounds=ROUNDS) == []
    assert _stored(engine) == 2 * ROUNDS * NAMED
