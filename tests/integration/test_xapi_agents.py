"""Every agent a statement names is stored under a pseudonym, wherever it stands, on SQLite and
PostgreSQL: a raw scan of every column of every table finds no address, name or unkeyed digest
of anyone. Statements about people who are no learners are stored, read back and found by
agent; a learner who appears later is linked to them; export, erasure and the sweep follow."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select

from gardien.domain.clock import FixedClock
from gardien.domain.xapi.pseudonyms import Pseudonyms
from gardien.domain.xapi.validate import validate_batch
from gardien.policy import load_policy
from gardien.services.erasure import erase_subject
from gardien.services.subject_export import export_subject
from gardien.services.sweep import sweep
from gardien.services.xapi.clients import Authenticator
from gardien.services.xapi.ingest import store_statements
from gardien.services.xapi.linking import link_new_learners
from gardien.services.xapi.read import StatementFilters, find_statements
from gardien.store import xapi as store
from gardien.store import xapi_query
from gardien.store.catalogue import record_catalogue
from gardien.store.tables import activity_statement, learner, statement_agent
from gardien.store.uow import UnitOfWork
from tests.support.lookup import LOOKUP
from tests.support.retention_samples import document, identifiers_found, learner_doc, load
from tests.support.xapi_agents import PLACES, STRANGERS, ZOE, named_in_clear, sha1
from tests.support.xapi_samples import HOME, add_client, basic, email, load_learners, statement

NOW = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
NAMES = Pseudonyms(LOOKUP, HOME)


@pytest.fixture
def client(engine: Engine) -> store.Client:
    load_learners(engine)
    found = Authenticator(engine).client(basic(add_client(engine))["Authorization"])
    assert found is not None
    return found


def post(engine: Engine, client: store.Client, *items: dict[str, Any], at: datetime = NOW) -> None:
    store_statements(
        UnitOfWork(engine, write=True),
        validate_batch(list(items)),
        client=client,
        home_page=HOME,
        clock=FixedClock(at),
        lookup=LOOKUP,
    )


def found_ids(engine: Engine, agent: dict[str, Any], *, related: bool = False) -> set[str]:
    filters = StatementFilters(agent=agent, related_agents=related, limit=500)
    statements, _ = find_statements(engine, filters, home_page=HOME, lookup=LOOKUP)
    return {s["id"] for s in statements}


def one(engine: Engine, statement_id: str) -> Any:
    with engine.connect() as connection:
        return xapi_query.one_statement(connection, statement_id, voided=False)


@pytest.mark.parametrize("place", list(PLACES))
def test_no_identifier_nor_name_of_anyone_is_stored_wherever_an_agent_stands(
    engine: Engine, client: store.Client, place: str
) -> None:
    sent = []
    for agent in STRANGERS.values():
        # The learner acts, the stranger stands in ``place``; or the stranger is the actor.
        sent.append(statement("lea", verb="attended", **PLACES[place](agent)))
    post(engine, client, *sent)
    assert named_in_clear(engine) == []
    for item in sent:
        stored = one(engine, item["id"])
        assert stored is not None, place  # read back like any statement (GET statementId)
        assert stored["authority"]["account"]["homePage"] == f"{HOME}/xapi/clients"
    if place == "authority":
        return  # replaced by the client's own account: nobody to find by it
    # Found by the agent filter, by mbox and by mbox_sha1sum alike, under related_agents;
    # as actor or object by the plain filter too (xAPI 1.0.3, Communication 2.1.3).
    by_mbox = {"mbox": f"mailto:{ZOE}"}
    by_sha1 = {"mbox_sha1sum": sha1(ZOE)}
    plain = place in ("actor", "object, agent")
    relates = "group" not in place and "team" not in place  # members are not matched
    for agent in (by_mbox, by_sha1):
        assert (sent[0]["id"] in found_ids(engine, agent, related=True)) is relates, place
        assert (sent[0]["id"] in found_ids(engine, agent)) is plain, place
    assert found_ids(engine, {"mbox": "mailto:personne@example.com"}, related=True) == set()


def test_a_statement_about_a_stranger_is_stored_without_a_learner(
    engine: Engine, client: store.Client
) -> None:
    about = statement(actor=STRANGERS["mbox"])
    group = statement(
        actor={"objectType": "Group", "mbox": "mailto:equipe.inconnue@example.org", "member": []}
    )
    post(engine, client, about, group)
    assert one(engine, about["id"])["actor"] == NAMES.agent(STRANGERS["mbox"])
    with engine.connect() as connection:
        rows = connection.execute(select(activity_statement)).all()
    assert {row.learner_id for row in rows} == {None}
    # Agent filters by mbox, by mbox_sha1sum, and an identified group's.
    assert found_ids(engine, {"mbox": f"mailto:{ZOE.upper()}"}) == {about["id"]}
    assert found_ids(engine, {"mbox_sha1sum": sha1(ZOE)}) == {about["id"]}
    team = {"objectType": "Group", "mbox": "mailto:equipe.inconnue@example.org"}
    assert found_ids(engine, team) == {group["id"]}
    # The same statement again is a repeat, not a conflict; other content is.
    post(engine, client, about)


def test_a_learners_agent_filter_finds_their_statements_under_every_name(
    engine: Engine, client: store.Client
) -> None:
    mine = statement("lea")
    instructed = statement("noe", context={"instructor": {"mbox": f"mailto:{email('lea')}"}})
    post(engine, client, mine, instructed)
    with engine.connect() as connection:
        pseudonym = connection.execute(
            select(learner.c.pseudonym).where(learner.c.email == email("lea"))
        ).scalar_one()
    for agent in (
        {"mbox": f"mailto:{email('lea')}"},
        {"mbox_sha1sum": sha1(email("lea"))},
        {"account": {"homePage": HOME, "name": pseudonym}},
    ):
        assert found_ids(engine, agent) == {mine["id"]}
        assert found_ids(engine, agent, related=True) == {mine["id"], instructed["id"]}
    # The client's own account, as authority, under related_agents.
    authority = {"account": {"homePage": f"{HOME}/xapi/clients", "name": "Outil auteur de test"}}
    assert found_ids(engine, authority, related=True) == {mine["id"], instructed["id"]}


def _import_zoe(engine: Engine) -> None:
    doc = document(
        learners=[learner_doc(ZOE, "Zoé", "Inconnue", "2025-01-10T10:00:00Z")],
        contracts=[],
        enrolments=[
            {
                "learner": ZOE,
                "path": "FLE-A2",
                "enrolled_at": "2025-01-02T09:00:00Z",
                "status": "enrolled",
                "progress": 0,
                "modules": [],
            }
        ],
    )
    load(engine, doc)


def test_a_learner_who_appears_later_is_linked_then_exported_and_erased(
    engine: Engine, client: store.Client
) -> None:
    by_mbox = statement(actor=STRANGERS["mbox"], verb="passed", timestamp="2026-01-20T08:00:00Z")
    by_sha1 = statement(actor={"mbox_sha1sum": sha1(ZOE)}, timestamp="2026-01-21T08:00:00Z")
    # Zoé as someone else's instructor: that statement stays Léa's.
    instructed = statement("lea", context={"instructor": STRANGERS["mbox"]})
    other = statement(actor=STRANGERS["openid"])
    post(engine, client, by_mbox, by_sha1, instructed, other)
    _import_zoe(engine)
    linked = link_new_learners(engine, [ZOE], pseudonyms=NAMES, clock=FixedClock(NOW))
    assert (linked.statements, linked.learners) == (2, 1)
    assert link_new_learners(engine, [ZOE], pseudonyms=NAMES, clock=FixedClock(NOW)).statements == 0
    with engine.connect() as connection:
        zoe = connection.execute(select(learner).where(learner.c.email == ZOE)).one()
        owners = dict(
            connection.execute(
                select(activity_statement.c.statement_id, activity_statement.c.learner_id)
            ).all()
        )
    assert owners[by_mbox["id"]] == owners[by_sha1["id"]] == zoe.id
    assert owners[other["id"]] is None and owners[instructed["id"]] not in (None, zoe.id)
    # Her activity moved her retention clock, as a live statement would have.
    assert zoe.last_activity_at == datetime(2026, 1, 21, 8, 0, tzinfo=UTC)
    # The statement kept the actor it was stored with; her agent filter finds it.
    assert one(engine, by_mbox["id"])["actor"] == NAMES.agent(STRANGERS["mbox"])
    assert found_ids(engine, {"mbox": f"mailto:{ZOE}"}) == {by_mbox["id"], by_sha1["id"]}
    # The same statement sent again, now that she is a learner: a repeat, not a conflict.
    post(engine, client, by_mbox)

    policy = load_policy(None, catalogue=record_catalogue())
    clock = FixedClock.on(date(2026, 2, 2))
    exported = export_subject(
        ZOE, uow=UnitOfWork(engine), policy=policy, clock=clock, lookup=LOOKUP
    )
    assert exported["record_counts"]["activity_statement"] == 3
    assert "named_in_statements" in exported["roles"]
    listed = [
        record["fields"].get("raw") or record["fields"].get("statement_id")
        for category in exported["categories"]
        for record in category["records"]
        if record["record"] == "activity_statement"
    ]
    assert len(listed) == 3

    erased = erase_subject(
        ZOE, uow=UnitOfWork(engine, write=True), policy=policy, clock=clock, lookup=LOOKUP
    )
    assert erased.erased["activity_statement"] == 2
    assert erased.erased["activity_statement (person replaced)"] == 1
    assert one(engine, by_mbox["id"]) is None and one(engine, by_sha1["id"]) is None
    kept = one(engine, instructed["id"])
    assert kept["context"]["instructor"]["account"]["name"] == "erased"
    assert one(engine, other["id"]) is not None
    zoe_names = LOOKUP.candidates(f"sha1:{sha1(ZOE)}")
    assert identifiers_found(engine, [ZOE, sha1(ZOE), *zoe_names]) == []
    with engine.connect() as connection:
        named = connection.execute(select(statement_agent.c.name)).scalars().all()
    assert not set(named) & set(zoe_names)


def test_an_erasure_of_someone_who_never_was_a_learner(
    engine: Engine, client: store.Client
) -> None:
    about = statement(actor=STRANGERS["mbox"])
    team = statement(
        "noe", context={"team": {"objectType": "Group", "member": [STRANGERS["mbox"]]}}
    )
    post(engine, client, about, team)
    policy = load_policy(None, catalogue=record_catalogue())
    clock = FixedClock.on(date(2026, 2, 2))
    exported = export_subject(
        ZOE, uow=UnitOfWork(engine), policy=policy, clock=clock, lookup=LOOKUP
    )
    assert exported["found"] is True
    assert exported["record_counts"] == {"activity_statement": 2}
    rules = {
        record["retention"]["rule"]
        for category in exported["categories"]
        for record in category["records"]
    }
    assert rules == {"unlinked_statements", "learner_data"}
    erase_subject(
        ZOE, uow=UnitOfWork(engine, write=True), policy=policy, clock=clock, lookup=LOOKUP
    )
    assert one(engine, about["id"]) is None
    member = one(engine, team["id"])["context"]["team"]["member"][0]
    assert member["account"]["name"] == "erased"
    after = export_subject(ZOE, uow=UnitOfWork(engine), policy=policy, clock=clock, lookup=LOOKUP)
    assert after["found"] is False


def test_the_sweep_deletes_unlinked_statements_a_month_after_they_are_received(
    engine: Engine, client: store.Client
) -> None:
    old = statement(actor=STRANGERS["mbox"], context={"instructor": STRANGERS["openid"]})
    post(engine, client, old, statement("lea"), at=NOW)
    recent = statement(actor=STRANGERS["account"])
    post(engine, client, recent, at=NOW + timedelta(days=20))
    policy = load_policy(None, catalogue=record_catalogue())

    def run(day: date) -> dict[str, int]:
        report = sweep(engine, policy=policy, clock=FixedClock.on(day), lookup=LOOKUP)
        (rule,) = [r for r in report.rules if r.rule == "unlinked_statements"]
        return dict(rule.rows)

    assert run(date(2026, 3, 1)) == {}  # one month after 1 February: not yet
    assert run(date(2026, 3, 2)) == {"activity_statement": 1}
    assert one(engine, old["id"]) is None and one(engine, recent["id"]) is not None
    with engine.connect() as connection:
        left = connection.execute(select(activity_statement.c.learner_id)).scalars().all()
        assert connection.execute(select(statement_agent)).all() == []
    # Léa's statement and the recent one remain; the old one's instructor went with it.
    assert sorted(owner is None for owner in left) == [False, True]
