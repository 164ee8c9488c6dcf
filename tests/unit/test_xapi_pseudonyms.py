"""Every agent a statement names is stored under a pseudonym (domain/xapi/pseudonyms.py)."""

from __future__ import annotations

from typing import Any

import orjson

from gardien.domain.lookup import SubjectLookup
from gardien.domain.xapi.identifiers import mbox_sha1sum
from gardien.domain.xapi.pseudonyms import (
    Pseudonyms,
    agent_identifier,
    agents_in,
    forget,
    stored_places,
)

HOME = "https://formation.example.org"
NAMES = Pseudonyms(SubjectLookup("a test secret of some length, not the real one"), HOME)
ALICE = {"objectType": "Agent", "name": "Alice Fictive", "mbox": "mailto:alice@example.org"}
BOB = {"name": "Bob Fictif", "mbox_sha1sum": mbox_sha1sum("bob@example.com")}
CAROL = {"openid": "https://openid.example.org/carol"}
DAN = {"account": {"homePage": "https://lms.example.com", "name": "dan-42"}}
PSEUDONYM = "6f1c1b7e-4a43-4d2a-9f0e-2b8c3d4e5f60"


def _statement() -> dict[str, Any]:
    return {
        "actor": ALICE,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attended"},
        "object": {
            "objectType": "SubStatement",
            "actor": {"objectType": "Group", "name": "Équipe", "member": [BOB, CAROL]},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/attended"},
            "object": {"objectType": "Agent", **DAN},
            "context": {"instructor": BOB},
        },
        "context": {
            "instructor": CAROL,
            "team": {"objectType": "Group", "mbox": "mailto:team@example.org", "member": [DAN]},
            "contextAgents": [{"objectType": "contextAgent", "agent": ALICE}],
        },
        "authority": DAN,
    }


def test_no_identifier_nor_name_survives_anywhere_an_agent_stands() -> None:
    stored = orjson.dumps(NAMES.statement(_statement())).decode().lower()
    for clear in ("alice", "bob", "carol", "dan-42", "team@", "fictiv", "équipe", "openid"):
        assert clear not in stored, clear
    assert mbox_sha1sum("bob@example.com") not in stored
    assert mbox_sha1sum("alice@example.org") not in stored
    # Ten agents (members included; the anonymous group has no account of its own).
    assert stored.count('"homepage":"https://formation.example.org/pseudonyms"') == 10


def test_one_person_one_pseudonym_whichever_identifier_names_them() -> None:
    by_mbox = NAMES.agent({"mbox": "mailto:Bob@Example.com"})
    by_digest = NAMES.agent(BOB)
    assert by_mbox == by_digest
    assert NAMES.agent(ALICE) != by_digest
    assert NAMES.stored_name(BOB) in NAMES.candidates({"mbox": "mailto:bob@example.com"})


def test_a_pseudonym_already_is_kept_and_a_retired_key_still_finds() -> None:
    learner = {"account": {"homePage": HOME + "/", "name": PSEUDONYM}}
    assert NAMES.agent(learner) == {
        "objectType": "Agent",
        "account": {"homePage": HOME + "/", "name": PSEUDONYM},
    }
    assert NAMES.candidates(learner) == [PSEUDONYM]
    keyed = NAMES.agent(ALICE)
    assert NAMES.agent(keyed) == keyed  # a keyed pseudonym read back and sent again
    old_secret = "the retired secret, long enough too"
    before = Pseudonyms(SubjectLookup(old_secret), HOME)
    after = Pseudonyms(
        SubjectLookup("the current secret, long enough", previous=[old_secret]), HOME
    )
    assert before.stored_name(ALICE) != after.stored_name(ALICE)
    assert before.stored_name(ALICE) in after.candidates(ALICE)


def test_agents_in_lists_every_place() -> None:
    places = [where for where, _agent in agents_in(_statement())]
    assert places == [
        "actor",
        "authority",
        "object.actor",
        "object.actor.member",
        "object.actor.member",
        "object.object",
        "object.context.instructor",
        "context.instructor",
        "context.team",
        "context.team.member",
        "context.contextAgents",
    ]
    assert agent_identifier({"objectType": "Group", "member": [ALICE]}) is None


def test_an_invented_name_on_gardiens_own_pages_is_pseudonymised_too() -> None:
    for home in (HOME, HOME + "/pseudonyms"):
        invented = {"account": {"homePage": home, "name": "Alice Fictive <alice@example.org>"}}
        stored = NAMES.agent(invented)
        assert stored["account"]["homePage"] == HOME + "/pseudonyms"
        assert "alice" not in orjson.dumps(stored).decode().lower()
        assert NAMES.candidates(invented) == [NAMES.stored_name(invented)]


def test_forget_puts_a_placeholder_wherever_the_names_stand() -> None:
    stored = NAMES.statement(_statement())
    bob = NAMES.stored_name(BOB)
    assert bob is not None
    forgotten = forget(stored, {bob})
    text = orjson.dumps(forgotten).decode()
    assert bob not in text
    assert text.count('"name":"erased"') == 2  # sub-statement member and instructor
    assert forgotten["actor"] == stored["actor"]
    assert forgotten["object"]["actor"]["member"][1] == stored["object"]["actor"]["member"][1]
    assert forget(stored, set()) == stored
    # Where a stored statement is looked up by: every place but the actor and the authority.
    places = stored_places(forgotten)
    assert ("context.instructor", NAMES.stored_name(CAROL)) in places
    assert all(name != bob for _, name in places)
    assert {where for where, _ in places} == {
        "object.actor.member",
        "object.object",
        "object.context.instructor",
        "context.instructor",
        "context.team",
        "context.team.member",
        "context.contextAgents",
    }
