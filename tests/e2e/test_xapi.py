"""gardien's Learning Record Store over real HTTP: credentials, pseudonymisation at the door,
conflicts, voiding, every query filter and paging, progress, and erasure."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from gardien.domain.clock import FixedClock
from gardien.policy import load_policy
from gardien.services.erasure import erase_subject
from gardien.store.catalogue import record_catalogue
from gardien.store.engine import make_engine
from gardien.store.migrate import upgrade
from gardien.store.tables import (
    activity_statement,
    enrolment,
    learner,
    module_progress,
)
from gardien.store.uow import UnitOfWork
from tests.support.lookup import LOOKUP
from tests.support.server import running_server
from tests.support.xapi_samples import (
    HOME,
    MODULES,
    PEOPLE,
    VERBS,
    add_client,
    basic,
    email,
    load_learners,
    sha1sum,
    statement,
)

pytestmark = pytest.mark.e2e


class Lrs:
    def __init__(self, base: str, url: str, headers: dict[str, str]) -> None:
        self.base = base
        self.url = url
        self.headers = headers

    def post(self, body: Any, **headers: str) -> httpx.Response:
        return httpx.post(
            f"{self.base}/xapi/statements", json=body, headers={**self.headers, **headers}
        )

    def put(self, statement_id: str, body: Any) -> httpx.Response:
        return httpx.put(
            f"{self.base}/xapi/statements",
            params={"statementId": statement_id},
            json=body,
            headers=self.headers,
        )

    def get(self, **params: Any) -> httpx.Response:
        return httpx.get(f"{self.base}/xapi/statements", params=params, headers=self.headers)

    def found(self, **params: Any) -> list[dict[str, Any]]:
        answer = self.get(**params)
        assert answer.status_code == 200, answer.text
        statements: list[dict[str, Any]] = answer.json()["statements"]
        return statements

    def rows(self, table: Any, *where: Any) -> list[Any]:
        engine = make_engine(self.url)
        try:
            with engine.connect() as connection:
                return list(connection.execute(select(table).where(*where)).all())
        finally:
            engine.dispose()


def _served(tmp: Path, **env: str) -> Iterator[Lrs]:
    url = f"sqlite:///{tmp / 'lrs.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    load_learners(engine)
    client = add_client(engine)
    engine.dispose()
    with running_server({"GARDIEN_DATABASE_URL": url, "GARDIEN_PUBLIC_URL": HOME, **env}) as base:
        yield Lrs(base, url, basic(client))


@pytest.fixture
def lrs(tmp_path: Path) -> Iterator[Lrs]:
    yield from _served(tmp_path)


def test_about_and_the_version_header_and_credentials(lrs: Lrs) -> None:
    about = httpx.get(f"{lrs.base}/xapi/about")
    assert about.status_code == 200 and "1.0.3" in about.json()["version"]
    assert about.headers["x-experience-api-version"] == "1.0.3"
    no_version = {k: v for k, v in lrs.headers.items() if k != "X-Experience-API-Version"}
    answer = httpx.post(f"{lrs.base}/xapi/statements", json=statement(), headers=no_version)
    assert answer.status_code == 400 and answer.json()["property"] == "header"
    for auth in (None, "Basic bm9ib2R5Om5vdGhpbmc=", "Bearer x"):
        headers = {"X-Experience-API-Version": "1.0.3"}
        if auth:
            headers["Authorization"] = auth
        refused = httpx.post(f"{lrs.base}/xapi/statements", json=statement(), headers=headers)
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"].startswith("Basic")


def test_statements_are_stored_under_a_pseudonym_never_an_email_or_name(lrs: Lrs) -> None:
    by_mbox = statement("lea", verb="attempted")
    by_sha1 = statement(actor={"mbox_sha1sum": sha1sum("noe"), "name": "Noé Pseudonyme"})
    answer = lrs.post([by_mbox, by_sha1])
    assert answer.status_code == 200, answer.text
    assert answer.json() == [by_mbox["id"], by_sha1["id"]]
    [lea] = lrs.rows(learner, learner.c.email == email("lea"))
    stored = lrs.get(statementId=by_mbox["id"]).json()
    assert stored["actor"] == {
        "objectType": "Agent",
        "account": {"homePage": HOME, "name": lea.pseudonym},
    }
    assert stored["stored"] and stored["authority"]["account"]["name"] == "Outil auteur de test"
    # No stored statement holds a learner's e-mail, its digest, or name.
    for row in lrs.rows(activity_statement):
        text = json.dumps(row.raw, ensure_ascii=False).lower()
        for address, given, family in PEOPLE.values():
            assert address not in text
            assert f"{given} {family}".lower() not in text
        assert sha1sum("noe") not in text
    # A statement by the learner's own pseudonymous account is accepted too.
    again = statement(actor={"account": {"homePage": HOME, "name": lea.pseudonym}})
    assert lrs.post(again).status_code == 200
    # Activity moves the retention clock.
    [after] = lrs.rows(learner, learner.c.email == email("lea"))
    assert after.last_activity_at.isoformat().startswith("2026-01-15")


def test_strangers_are_stored_under_pseudonyms_and_read_back(lrs: Lrs) -> None:
    # The conformance suite's first step: a statement about someone gardien does not know is
    # stored (200), then read back by its id.
    stranger = statement(actor={"mbox": "mailto:inconnu@example.com", "name": "Ino Connu"})
    answer = lrs.post(stranger)
    assert answer.status_code == 200, answer.text
    stored = lrs.get(statementId=stranger["id"])
    assert stored.status_code == 200, stored.text
    assert stored.json()["actor"]["account"]["homePage"] == f"{HOME}/pseudonyms"
    # Found by agent, by mbox and by mbox_sha1sum.
    by_sha1 = hashlib.sha1(b"mailto:inconnu@example.com").hexdigest()
    for agent in ({"mbox": "mailto:inconnu@example.com"}, {"mbox_sha1sum": by_sha1}):
        assert [s["id"] for s in lrs.found(agent=json.dumps(agent))] == [stranger["id"]]
    # An agent as object, a group as actor, a sub-statement: stored, names and all pseudonymised.
    other = statement("lea", object={"objectType": "Agent", "mbox": "mailto:x@example.org"})
    group = statement(actor={"objectType": "Group", "member": [{"mbox": "mailto:y@example.org"}]})
    sub = statement(
        "noe",
        object={
            "objectType": "SubStatement",
            "actor": {"mbox": "mailto:z@example.org", "name": "Zed Inconnu"},
            "verb": {"id": f"{VERBS}attended"},
            "object": {"objectType": "Activity", "id": MODULES["M1"]},
        },
    )
    assert lrs.post([other, group, sub]).status_code == 200
    related = lrs.found(agent=json.dumps({"mbox": "mailto:z@example.org"}), related_agents="true")
    assert [s["id"] for s in related] == [sub["id"]]
    assert lrs.found(agent=json.dumps({"mbox": "mailto:z@example.org"})) == []
    for row in lrs.rows(activity_statement):
        text = json.dumps(row.raw, ensure_ascii=False).lower()
        for clear in ("inconnu", "x@example", "y@example", "z@example", "zed", by_sha1):
            assert clear not in text
    # A learner's full name outside the actor is still refused, with nothing stored.
    named = statement("lea", result={"response": "Léa Traçabilité a répondu"})
    answer = lrs.post(named)
    assert answer.status_code == 400 and "full name" in answer.json()["error"]
    assert lrs.get(statementId=named["id"]).status_code == 404


def test_the_retired_park_setting_changes_nothing(tmp_path: Path) -> None:
    for served in _served(tmp_path, GARDIEN_XAPI_UNKNOWN_ACTORS="park"):
        stranger = statement(actor={"mbox": "mailto:inconnu@example.com"})
        answer = served.post([stranger, statement("lea")])
        assert answer.status_code == 200, answer.text
        assert served.get(statementId=stranger["id"]).status_code == 200
        owners = [row.learner_id for row in served.rows(activity_statement)]
        assert len(owners) == 2 and owners.count(None) == 1


def test_put_conflicts_and_repeats(lrs: Lrs) -> None:
    first = statement("lea")
    statement_id = first.pop("id")
    assert lrs.put(statement_id, first).status_code == 204
    assert lrs.put(statement_id, first).status_code == 204  # the same again: harmless
    changed = {**first, "verb": {"id": f"{VERBS}completed"}}
    conflict = lrs.put(statement_id, changed)
    assert conflict.status_code == 409
    assert lrs.post({**changed, "id": statement_id}).status_code == 409
    assert lrs.put(statement_id, {**first, "id": "0" * 8}).status_code == 400
    assert lrs.get(statementId=statement_id).json()["verb"]["id"] == f"{VERBS}attempted"


@pytest.mark.parametrize(
    ("change", "prop"),
    [
        ({"actor": None}, "actor"),
        ({"verb": {"id": "not an iri"}}, "verb.id"),
        ({"object": None}, "object"),
        ({"result": {"score": {"scaled": 1.5}}}, "result.score.scaled"),
        ({"result": {"duration": "90 minutes"}}, "result.duration"),
        ({"timestamp": "15/01/2026"}, "timestamp"),
        ({"id": "not-a-uuid"}, "id"),
        ({"surprise": True}, "surprise"),
    ],
)
def test_bad_statements_are_refused_naming_the_property(
    lrs: Lrs, change: dict[str, Any], prop: str
) -> None:
    bad = {key: value for key, value in {**statement(), **change}.items() if value is not None}
    answer = lrs.post(bad)
    assert answer.status_code == 400
    assert answer.json()["property"] == prop, answer.json()
    batch = lrs.post([statement(), bad])
    assert batch.status_code == 400 and batch.json()["property"] == f"[1].{prop}"
    assert lrs.rows(activity_statement) == []


def test_voiding(lrs: Lrs) -> None:
    target = statement("lea")
    lrs.post(target)
    voiding = statement(
        "lea", verb="voided", object={"objectType": "StatementRef", "id": target["id"]}
    )
    assert lrs.post(voiding).status_code == 200
    assert lrs.get(statementId=target["id"]).status_code == 404
    assert lrs.get(voidedStatementId=target["id"]).json()["id"] == target["id"]
    listed = [s["id"] for s in lrs.found()]
    assert target["id"] not in listed and voiding["id"] in listed
    # A voiding statement cannot itself be voided.
    again = statement(
        "lea", verb="voided", object={"objectType": "StatementRef", "id": voiding["id"]}
    )
    lrs.post(again)
    assert lrs.get(statementId=voiding["id"]).status_code == 200
    bad = statement("lea", verb="voided")  # voided needs a StatementRef
    assert lrs.post(bad).status_code == 400


def test_every_filter_and_paging(lrs: Lrs) -> None:
    registration = "5c5d8cbe-2b9b-4f59-8a0c-2f1f0f0f0f01"
    posted = [
        statement("lea", verb="attempted"),
        statement("lea", verb="completed", activity=MODULES["M2"]),
        statement("noe", verb="attempted", context={"registration": registration}),
        statement("noe", verb="passed"),
    ]
    for item in posted:  # one request each: four stored instants, in this order
        assert lrs.post(item).status_code == 200
    ids = [item["id"] for item in posted]
    assert [s["id"] for s in lrs.found()] == ids[::-1]  # newest first by default
    assert [s["id"] for s in lrs.found(ascending="true")] == ids
    agent = json.dumps({"mbox": f"mailto:{email('noe')}"})
    assert [s["id"] for s in lrs.found(agent=agent)] == [ids[3], ids[2]]
    assert lrs.found(agent=json.dumps({"mbox": "mailto:personne@example.com"})) == []
    assert [s["id"] for s in lrs.found(verb=f"{VERBS}attempted")] == [ids[2], ids[0]]
    assert [s["id"] for s in lrs.found(activity=MODULES["M2"])] == [ids[1]]
    assert [s["id"] for s in lrs.found(registration=registration)] == [ids[2]]
    stored = [lrs.get(statementId=i).json()["stored"] for i in ids]
    assert [s["id"] for s in lrs.found(since=stored[1], ascending="true")] == ids[2:]
    assert [s["id"] for s in lrs.found(until=stored[1], ascending="true")] == ids[:2]
    # Paging: two at a time through "more", until it is empty.
    seen: list[str] = []
    answer = lrs.get(limit=2, ascending="true").json()
    while True:
        seen += [s["id"] for s in answer["statements"]]
        if not answer["more"]:
            break
        answer = httpx.get(f"{lrs.base}{answer['more']}", headers=lrs.headers).json()
    assert seen == ids
    for bad in ({"limit": "many"}, {"ascending": "yes"}, {"since": "yesterday"}, {"x": "1"}):
        assert lrs.get(**bad).status_code == 400


def test_completing_a_module_moves_the_learners_progress(lrs: Lrs) -> None:
    lrs.post(statement("lea", verb="passed", result={"score": {"scaled": 0.9}}))
    [lea] = lrs.rows(learner, learner.c.email == email("lea"))
    [enrolled] = lrs.rows(enrolment, enrolment.c.learner_id == lea.id)
    [progress] = lrs.rows(module_progress, module_progress.c.enrolment_id == enrolled.id)
    assert (progress.status, progress.score_scaled) == ("passed", 0.9)
    assert (enrolled.progress, enrolled.status) == (50, "in_progress")
    lrs.post(statement("lea", verb="completed", activity=MODULES["M2"]))
    [enrolled] = lrs.rows(enrolment, enrolment.c.learner_id == lea.id)
    assert (enrolled.progress, enrolled.status) == (100, "completed")


def test_an_erasure_removes_the_learners_statements(lrs: Lrs) -> None:
    lrs.post([statement("lea"), statement("noe")])
    engine = make_engine(lrs.url)
    try:
        erase_subject(
            email("lea"),
            uow=UnitOfWork(engine, write=True),
            policy=load_policy(None, catalogue=record_catalogue()),
            clock=FixedClock.on(date(2026, 2, 1)),
            lookup=LOOKUP,
        )
    finally:
        engine.dispose()
    remaining = lrs.found()
    assert len(remaining) == 1
    [noe] = lrs.rows(learner, learner.c.email == email("noe"))
    assert remaining[0]["actor"]["account"]["name"] == noe.pseudonym
