"""The document resources, Activities and Agents over real HTTP: what a platform's SCORM or cmi5
player does with state and profiles, with ETags, merges, binary documents and errors, and what
the database holds afterwards (pseudonyms only)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from gardien.store.engine import make_engine
from gardien.store.tables import learner, xapi_document
from tests.support.xapi_samples import (
    HOME,
    MODULES,
    PEOPLE,
    email,
    serving_samples,
    statement,
)

pytestmark = pytest.mark.e2e

COURSE = MODULES["M1"]
LEA = {"objectType": "Agent", "mbox": f"mailto:{email('lea')}"}
STRANGER = {"objectType": "Agent", "mbox": "mailto:inconnu.document@example.com"}


class Lrs:
    def __init__(self, base: str, url: str, headers: dict[str, str]) -> None:
        self.base = base
        self.url = url
        self.headers = headers

    def call(
        self, method: str, resource: str, params: dict[str, Any], body: Any = None, **headers: str
    ) -> httpx.Response:
        query = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in params.items()}
        content = json.dumps(body).encode() if isinstance(body, dict) else body
        sent = {**self.headers, **headers}
        if isinstance(body, dict):
            sent.setdefault("Content-Type", "application/json")
        return httpx.request(
            method, f"{self.base}/xapi/{resource}", params=query, content=content, headers=sent
        )

    def documents(self) -> list[Any]:
        engine = make_engine(self.url)
        try:
            with engine.connect() as connection:
                return list(connection.execute(select(xapi_document)).all())
        finally:
            engine.dispose()

    def pseudonym(self, name: str) -> str:
        engine = make_engine(self.url)
        try:
            with engine.connect() as connection:
                found: str = connection.execute(
                    select(learner.c.pseudonym).where(learner.c.email == email(name))
                ).scalar_one()
                return found
        finally:
            engine.dispose()


@pytest.fixture(scope="module")
def lrs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lrs]:
    """One server for the module: each test names documents of its own."""
    with serving_samples(tmp_path_factory.mktemp("documents")) as (base, url, headers):
        yield Lrs(base, url, headers)


def test_a_player_keeps_its_state_with_merges_ids_and_deletes(lrs: Lrs) -> None:
    player = f"{COURSE}/player"  # an activity of this test's own
    where = {"activityId": player, "agent": LEA, "stateId": "suspend_data"}
    assert lrs.call("PUT", "activities/state", where, {"page": 1, "score": 0}).status_code == 204
    assert lrs.call("POST", "activities/state", where, {"page": 4}).status_code == 204
    got = lrs.call("GET", "activities/state", where)
    assert got.status_code == 200 and got.json() == {"page": 4, "score": 0}
    assert got.headers["content-type"] == "application/json"
    assert got.headers["etag"] == f'"{hashlib.sha1(got.content).hexdigest()}"'
    assert got.headers["last-modified"].endswith("GMT")
    assert got.headers["x-experience-api-version"] == "1.0.3"
    head = lrs.call("HEAD", "activities/state", where)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["etag"] == got.headers["etag"]
    other = {**where, "stateId": "bookmark"}
    assert lrs.call("PUT", "activities/state", other, b"p12", **{"Content-Type": "text/plain"})
    listing = {"activityId": player, "agent": LEA}
    ids = lrs.call("GET", "activities/state", listing)
    assert sorted(ids.json()) == ["bookmark", "suspend_data"]
    later = lrs.call("GET", "activities/state", {**listing, "since": "2100-01-01T00:00:00Z"})
    assert later.json() == []
    assert lrs.call("DELETE", "activities/state", listing).status_code == 204
    assert lrs.call("GET", "activities/state", listing).json() == []
    gone = lrs.call("GET", "activities/state", where)
    assert gone.status_code == 404 and gone.json()["property"] == "state"


def test_profiles_are_guarded_by_their_etag(lrs: Lrs) -> None:
    where = {"agent": LEA, "profileId": "preferences"}
    missing = lrs.call("PUT", "agents/profile", where, {"lang": "fr"})
    assert missing.status_code == 400 and missing.json()["property"] == "If-None-Match"
    created = lrs.call("PUT", "agents/profile", where, {"lang": "fr"}, **{"If-None-Match": "*"})
    assert created.status_code == 204
    again = lrs.call("PUT", "agents/profile", where, {"lang": "en"}, **{"If-None-Match": "*"})
    assert again.status_code == 412
    blind = lrs.call("PUT", "agents/profile", where, {"lang": "en"})
    assert blind.status_code == 409 and "If-Match" in blind.json()["error"]
    stale = lrs.call(
        "PUT", "agents/profile", where, {"lang": "de"}, **{"If-Match": f'"{"1" * 40}"'}
    )
    assert stale.status_code == 412 and stale.json()["property"] == "If-Match"
    etag = lrs.call("GET", "agents/profile", where).headers["etag"]
    fresh = lrs.call("PUT", "agents/profile", where, {"lang": "en"}, **{"If-Match": etag})
    assert fresh.status_code == 204
    assert lrs.call("GET", "agents/profile", where).json() == {"lang": "en"}
    deleted = lrs.call("DELETE", "agents/profile", where, **{"If-Match": etag})
    assert deleted.status_code == 412  # the ETag it names is no longer current
    assert lrs.call("DELETE", "agents/profile", where).status_code == 204
    assert lrs.call("GET", "agents/profile", where).status_code == 404


def test_binary_documents_keep_their_bytes_and_refuse_a_json_merge(lrs: Lrs) -> None:
    where = {"activityId": COURSE, "profileId": "cover"}
    png = b"\x89PNG\r\n\x1a\n\x00\xff\xfe"
    sent = lrs.call(
        "PUT",
        "activities/profile",
        where,
        png,
        **{"Content-Type": "image/png", "If-None-Match": "*"},
    )
    assert sent.status_code == 204
    refused = lrs.call("POST", "activities/profile", where, {"a": 1})
    assert refused.status_code == 400
    got = lrs.call("GET", "activities/profile", where)
    assert got.content == png and got.headers["content-type"] == "image/png"
    assert lrs.call("GET", "activities/profile", {"activityId": COURSE}).json() == ["cover"]


@pytest.mark.parametrize(
    ("resource", "params", "prop"),
    [
        ("activities/state", {"agent": LEA, "stateId": "s"}, "activityId"),
        ("activities/state", {"activityId": COURSE, "agent": "not JSON", "stateId": "s"}, "agent"),
        (
            "activities/state",
            {"activityId": COURSE, "agent": LEA, "registration": "x"},
            "registration",
        ),
        ("activities/state", {"activityId": COURSE, "agent": LEA, "since": "soon"}, "since"),
        ("agents/profile", {"agent": LEA, "profileid": "p"}, "profileid"),
        ("activities", {}, "activityId"),
        ("activities", {"activityId": "not an IRI"}, "activityId"),
        ("agents", {"agent": {"objectType": "Agent", "name": "Sans identifiant"}}, "agent"),
    ],
)
def test_bad_requests_name_what_is_wrong(
    lrs: Lrs, resource: str, params: dict[str, Any], prop: str
) -> None:
    answer = lrs.call("GET", resource, params)
    assert answer.status_code == 400, answer.text
    assert answer.json()["property"] == prop
    assert "x-experience-api-consistent-through" in answer.headers


def test_credentials_and_version_are_checked_as_for_statements(lrs: Lrs) -> None:
    where = {"activityId": COURSE, "agent": LEA, "stateId": "s"}
    no_version = {k: v for k, v in lrs.headers.items() if k != "X-Experience-API-Version"}
    answer = httpx.get(
        f"{lrs.base}/xapi/activities/state",
        params={**where, "agent": json.dumps(LEA)},
        headers=no_version,
    )
    assert answer.status_code == 400 and answer.json()["property"] == "header"
    anonymous = httpx.get(
        f"{lrs.base}/xapi/agents",
        params={"agent": json.dumps(LEA)},
        headers={"X-Experience-API-Version": "1.0.3"},
    )
    assert anonymous.status_code == 401


def test_activities_merge_what_statements_said_and_agents_give_pseudonyms(lrs: Lrs) -> None:
    described = [
        statement("lea", object={"id": COURSE, "definition": {"name": {"fr-FR": "Se présenter"}}}),
        statement("noe", object={"id": COURSE, "definition": {"name": {"en-US": "Introductions"}}}),
    ]
    posted = httpx.post(f"{lrs.base}/xapi/statements", json=described, headers=lrs.headers)
    assert posted.status_code == 200, posted.text
    activity = lrs.call("GET", "activities", {"activityId": COURSE})
    assert activity.json() == {
        "objectType": "Activity",
        "id": COURSE,
        "definition": {"name": {"fr-FR": "Se présenter", "en-US": "Introductions"}},
    }
    unknown = MODULES["M2"]
    assert lrs.call("GET", "activities", {"activityId": unknown}).json() == {
        "objectType": "Activity",
        "id": unknown,
    }
    person = lrs.call("GET", "agents", {"agent": LEA}).json()
    assert person == {
        "objectType": "Person",
        "name": [],
        "mbox": [LEA["mbox"]],
        "account": [{"homePage": HOME, "name": lrs.pseudonym("lea")}],
    }


def test_the_database_holds_pseudonyms_never_an_address_or_a_name(lrs: Lrs) -> None:
    for agent in (
        LEA,
        STRANGER,
        {"mbox_sha1sum": hashlib.sha1(b"mailto:x@example.net").hexdigest()},
    ):
        where = {"activityId": COURSE, "agent": agent, "stateId": "scan"}
        assert lrs.call("PUT", "activities/state", where, {"seen": True}).status_code == 204
        profile = {"agent": agent, "profileId": "scan"}
        answer = lrs.call("POST", "agents/profile", profile, {"seen": True})
        assert answer.status_code == 204
    stored = lrs.documents()  # every document of the module's tests, these six among them
    scanned = [row for row in stored if row.document_id == "scan"]
    assert len(scanned) == 6
    lea = lrs.pseudonym("lea")
    assert sum(row.agent_name == lea for row in scanned) == 2
    text = json.dumps([[str(v) for v in row] for row in stored]).lower()
    for address, given, family in PEOPLE.values():
        for clear in (address, given.lower(), family.lower()):
            assert clear not in text
    for clear in ("inconnu.document", hashlib.sha1(b"mailto:x@example.net").hexdigest()):
        assert clear not in text
