"""xAPI documents on SQLite and PostgreSQL: filed under pseudonyms, linked to known learners,
found under every name a person may have had, merged and guarded by ETags, and covered by the
retention rules, the export and the erasure (services/xapi/documents.py)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
import pytest
from sqlalchemy import Connection, Engine, select

from gardien.domain.clock import FixedClock
from gardien.domain.lookup import SubjectLookup
from gardien.domain.xapi.documents import Address, Preconditions, etag_of
from gardien.domain.xapi.identifiers import mbox_sha1sum
from gardien.domain.xapi.pseudonyms import Pseudonyms
from gardien.errors import XapiPreconditionError, XapiValidationError
from gardien.services.erasure import erase_subject
from gardien.services.subject_export import export_subject
from gardien.services.xapi import documents as service
from gardien.settings import DEFAULT_SECRET
from gardien.store.tables import learner, xapi_activity, xapi_document
from gardien.store.uow import UnitOfWork
from gardien.store.xapi_documents import activity_news, link_documents, remember_news
from tests.support.lookup import LOOKUP
from tests.support.retention_samples import (
    HOME,
    default_policy,
    document,
    learner_doc,
    load,
    rows,
    rule,
    run_sweep,
)

NAMES = Pseudonyms(LOOKUP, HOME)
LEA = ("lea.document@example.org", "Léa", "Documentée")
NOE = ("noe.document@example.org", "Noé", "Sansfiche")  # no learner: a stranger to gardien
COURSE = "https://learning.example.org/courses/fle-a2"
WRITTEN = datetime(2026, 2, 10, 9, 30, tzinfo=UTC)
JSON = "application/json"


@pytest.fixture
def engine_with_lea(engine: Engine) -> Engine:
    load(engine, document(learners=[learner_doc(*LEA, "2026-02-01T10:00:00Z")]))
    return engine


def mbox(email: str) -> dict[str, Any]:
    return {"objectType": "Agent", "mbox": f"mailto:{email}"}


def state(agent: dict[str, Any], state_id: str = "bookmark", **more: Any) -> Address:
    return Address("state", activity_id=COURSE, agent=agent, document_id=state_id, **more)


def write(
    engine: Engine,
    where: Address,
    data: Any,
    *,
    method: str = "PUT",
    at: datetime = WRITTEN,
    names: Pseudonyms = NAMES,
    conditions: Preconditions | None = None,
    content_type: str = JSON,
) -> None:
    content = data if isinstance(data, bytes) else orjson.dumps(data)
    service.write_document(
        UnitOfWork(engine, write=True),
        where,
        content,
        content_type,
        conditions or Preconditions(),
        method=method,  # type: ignore[arg-type]
        pseudonyms=names,
        clock=FixedClock(at),
    )


def read(engine: Engine, where: Address, names: Pseudonyms = NAMES) -> Any:
    found = service.read_document(engine, where, pseudonyms=names)
    return None if found is None else orjson.loads(found.content)


def stored_text(engine: Engine) -> str:
    """Every column of every stored document, as one lower-cased text: a raw scan."""
    found = rows(engine, xapi_document)
    return json.dumps(found, default=lambda v: bytes(v).hex() if isinstance(v, bytes) else str(v))


def test_a_learner_s_document_is_filed_under_their_pseudonym_and_linked(
    engine_with_lea: Engine,
) -> None:
    engine = engine_with_lea
    [lea] = rows(engine, learner)
    write(engine, state(mbox(LEA[0])), {"page": 12})
    [row] = rows(engine, xapi_document)
    assert row["agent_name"] == lea["pseudonym"] and row["learner_id"] == lea["id"]
    assert row["etag"] == etag_of(orjson.dumps({"page": 12}))
    # The learner's other names find it: their mbox_sha1sum, their pseudonymous account.
    by_digest = {"mbox_sha1sum": mbox_sha1sum(LEA[0])}
    by_account = {"account": {"homePage": HOME, "name": lea["pseudonym"]}}
    for agent in (by_digest, by_account):
        assert read(engine, state(agent)) == {"page": 12}
    # No address, digest or name of hers reaches the table.
    text = stored_text(engine).lower()
    for clear in (LEA[0], mbox_sha1sum(LEA[0]), "léa", "documentée"):
        assert clear not in text


@pytest.mark.parametrize(
    "agent",
    [
        mbox(NOE[0]),
        {"mbox_sha1sum": mbox_sha1sum(NOE[0])},
        {"openid": "https://openid.example.org/noe-document"},
        {"account": {"homePage": "https://lms.example.com", "name": "noe-document-42"}},
    ],
)
def test_anyone_else_is_filed_under_a_keyed_pseudonym(
    engine: Engine, agent: dict[str, Any]
) -> None:
    write(engine, state(agent), {"page": 3})
    [row] = rows(engine, xapi_document)
    assert row["learner_id"] is None
    assert row["agent_name"] == NAMES.stored_name(agent)
    assert read(engine, state(agent)) == {"page": 3}
    text = stored_text(engine).lower()
    for clear in (NOE[0], mbox_sha1sum(NOE[0]), "noe-document", "openid.example.org"):
        assert clear not in text


def test_a_retired_key_still_finds_and_a_write_leaves_one_document(engine: Engine) -> None:
    write(engine, state(mbox(NOE[0])), {"page": 1})
    rotated = Pseudonyms(
        SubjectLookup("a new secret of some length", previous=[DEFAULT_SECRET]), HOME
    )
    assert read(engine, state(mbox(NOE[0])), rotated) == {"page": 1}
    write(engine, state(mbox(NOE[0])), {"page": 2}, method="POST", names=rotated)
    [row] = rows(engine, xapi_document)
    assert row["agent_name"] == rotated.stored_name(mbox(NOE[0])) != NAMES.stored_name(mbox(NOE[0]))
    assert orjson.loads(row["content"]) == {"page": 2}


def test_a_document_written_before_the_person_was_a_learner_becomes_theirs(
    engine: Engine,
) -> None:
    write(engine, state(mbox(LEA[0])), {"page": 5})
    [before] = rows(engine, xapi_document)
    assert before["learner_id"] is None
    load(engine, document(learners=[learner_doc(*LEA, "2026-02-01T10:00:00Z")]))
    [lea] = rows(engine, learner)
    # Read under every name; linked by the agents side of the LRS, or at the next write.
    assert read(engine, state({"account": {"homePage": HOME, "name": lea["pseudonym"]}})) == {
        "page": 5
    }
    with UnitOfWork(engine, write=True) as uow:
        assert link_documents(uow.connection, lea["id"], [before["agent_name"]]) == 1
        uow.commit()
    write(engine, state(mbox(LEA[0])), {"done": True}, method="POST")
    [after] = rows(engine, xapi_document)
    assert after["learner_id"] == lea["id"] and after["agent_name"] == lea["pseudonym"]
    assert orjson.loads(after["content"]) == {"page": 5, "done": True}


def test_merge_preconditions_and_lists(engine: Engine) -> None:
    agent = mbox(NOE[0])
    registration = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"
    write(engine, state(agent), {"x": "foo", "y": "bar"})
    write(engine, state(agent), {"x": "bash", "z": "faz"}, method="POST")
    assert read(engine, state(agent)) == {"x": "bash", "y": "bar", "z": "faz"}
    current = service.read_document(engine, state(agent), pseudonyms=NAMES)
    assert current is not None
    stale = Preconditions(if_match=f'"{etag_of(b"{}")}"')
    with pytest.raises(XapiPreconditionError):
        write(engine, state(agent), {"lost": True}, conditions=stale)
    with pytest.raises(XapiValidationError):  # a binary body cannot merge into JSON
        write(engine, state(agent), b"\x00\x01", method="POST", content_type="image/png")
    assert read(engine, state(agent)) == {"x": "bash", "y": "bar", "z": "faz"}
    write(engine, state(agent), {"ok": 1}, conditions=Preconditions(if_match=f'"{current.etag}"'))
    later = WRITTEN + timedelta(minutes=5)
    write(engine, state(agent, "progress", registration=registration), {"p": 1}, at=later)
    listing = Address("state", activity_id=COURSE, agent=agent)
    ids, updated = service.document_ids(engine, listing, since=None, pseudonyms=NAMES)
    assert sorted(ids) == ["bookmark", "progress"] and updated == later
    ids, _ = service.document_ids(engine, listing, since=WRITTEN, pseudonyms=NAMES)
    assert ids == ["progress"]  # "since" is exclusive
    one = Address("state", activity_id=COURSE, agent=agent, registration=registration)
    assert (
        service.delete_documents(
            UnitOfWork(engine, write=True), one, Preconditions(), pseudonyms=NAMES
        )
        == 1
    )
    assert [r["document_id"] for r in rows(engine, xapi_document)] == ["bookmark"]


def test_binary_documents_keep_their_bytes_and_content_type(engine: Engine) -> None:
    profile = Address("agent_profile", agent=mbox(NOE[0]), document_id="avatar")
    png = b"\x89PNG\r\n\x1a\n\x00\xff"
    write(
        engine, profile, png, content_type="image/png", conditions=Preconditions(if_none_match="*")
    )
    found = service.read_document(engine, profile, pseudonyms=NAMES)
    assert found is not None
    assert found.content == png and found.content_type == "image/png"
    assert found.etag == etag_of(png)


def test_activity_definitions_are_merged_and_written_only_when_they_change(engine: Engine) -> None:
    def sent(name: dict[str, str]) -> dict[str, Any]:
        return {
            "actor": mbox(NOE[0]),
            "verb": {"id": "http://adlnet.gov/expapi/verbs/attended"},
            "object": {"id": COURSE, "definition": {"name": name}},
        }

    def remember(connection: Connection, statement: dict[str, Any]) -> int:
        # As ingest does: what is new worked out first, then written in the transaction.
        return remember_news(connection, activity_news(connection.engine, [statement]))

    with UnitOfWork(engine, write=True) as uow:  # rolled back: nothing is remembered
        assert remember(uow.connection, sent({"en-US": "Course"})) == 1
    with UnitOfWork(engine, write=True) as uow:
        assert remember(uow.connection, sent({"en-US": "Course"})) == 1
        assert remember(uow.connection, sent({"fr-FR": "Cours"})) == 1
        assert remember(uow.connection, sent({"fr-FR": "Cours"})) == 0
        uow.commit()
    assert service.activity(engine, COURSE) == {
        "objectType": "Activity",
        "id": COURSE,
        "definition": {"name": {"en-US": "Course", "fr-FR": "Cours"}},
    }
    assert len(rows(engine, xapi_activity)) == 1
    unknown = COURSE + "/never-seen"
    assert service.activity(engine, unknown) == {"objectType": "Activity", "id": unknown}


def test_the_agents_resource_gives_back_the_query_and_the_stored_account(
    engine_with_lea: Engine,
) -> None:
    [lea] = rows(engine_with_lea, learner)
    person = service.person(engine_with_lea, mbox(LEA[0]), pseudonyms=NAMES)
    assert person == {
        "objectType": "Person",
        "name": [],
        "mbox": [f"mailto:{LEA[0]}"],
        "account": [{"homePage": HOME, "name": lea["pseudonym"]}],
    }
    stranger = service.person(
        engine_with_lea, {"openid": "https://openid.example.org/x"}, pseudonyms=NAMES
    )
    assert stranger["openid"] == ["https://openid.example.org/x"]
    assert stranger["account"] == [
        {
            "homePage": HOME + "/pseudonyms",
            "name": NAMES.stored_name({"openid": "https://openid.example.org/x"}),
        }
    ]


def test_unlinked_documents_go_one_month_after_their_last_change(engine_with_lea: Engine) -> None:
    engine = engine_with_lea
    write(engine, state(mbox(NOE[0])), {"page": 1})
    write(engine, state(mbox(LEA[0])), {"page": 2})
    kept = run_sweep(engine, date(2026, 3, 10))  # the change of 10 Feb is kept through 10 Mar
    assert rule(kept, "unlinked_documents").expired == 0
    gone = run_sweep(engine, date(2026, 3, 11))
    assert rule(gone, "unlinked_documents").expired == 1
    [left] = rows(engine, xapi_document)
    assert left["learner_id"] is not None  # Léa's document lives with Léa
    # Léa's last activity (1 Feb 2026) + 18 months: her documents go with her.
    after = run_sweep(engine, date(2027, 8, 2))
    assert rule(after, "learner_data").rows["xapi_document"] == 1
    assert rows(engine, xapi_document) == []


def test_the_export_lists_a_person_s_documents_and_erasure_removes_them(
    engine_with_lea: Engine,
) -> None:
    engine = engine_with_lea
    write(engine, state(mbox(LEA[0])), {"page": 2})
    write(
        engine,
        Address("agent_profile", agent=mbox(LEA[0]), document_id="prefs"),
        {"lang": "fr"},
        method="POST",
    )
    write(engine, state(mbox(NOE[0])), {"page": 7})
    policy = default_policy()
    clock = FixedClock(WRITTEN + timedelta(days=1))

    def exported(email: str) -> list[dict[str, Any]]:
        found = export_subject(
            email, uow=UnitOfWork(engine), policy=policy, clock=clock, lookup=LOOKUP
        )
        return [
            record
            for category in found["categories"]
            for record in category["records"]
            if isinstance(record, dict) and record.get("record") == "xapi_document"
        ]

    lea = exported(LEA[0])
    assert sorted(r["fields"]["content"] for r in lea) == ['{"lang":"fr"}', '{"page":2}']
    assert {r["retention"]["rule"] for r in lea} == {"learner_data"}
    [noe] = exported(NOE[0])
    assert noe["fields"]["content"] == '{"page":7}'
    assert noe["retention"]["rule"] == "unlinked_documents"
    assert noe["retention"]["ends_on"] == "2026-03-10"
    for email, left in ((NOE[0], 2), (LEA[0], 0)):
        done = erase_subject(
            email, uow=UnitOfWork(engine, write=True), policy=policy, clock=clock, lookup=LOOKUP
        )
        assert done is not None
        assert len(rows(engine, xapi_document)) == left
    with engine.connect() as connection:
        assert connection.execute(select(xapi_document.c.id)).all() == []
