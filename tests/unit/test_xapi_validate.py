"""Validation of xAPI statements (gardien.domain.xapi): one rule per row, spec-like examples.

The good statements follow the examples of the xAPI 1.0.3 specification (Data, appendices A to
C), rewritten with fictional people of example.org. Each bad row breaks one rule of a good
statement and names the property the error must point at.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from gardien.domain.xapi import (
    VOIDED,
    is_voiding,
    parse_timestamp,
    statements_equivalent,
    validate_batch,
    validate_statement,
)
from gardien.domain.xapi.formats import (
    EARLIEST,
    LATEST,
    OUT_OF_RANGE,
    is_duration,
    is_iri,
    is_language_tag,
)
from gardien.errors import GardienError, XapiConflictError, XapiError, XapiValidationError

Statement = dict[str, Any]
UUID = "f1c9a2e4-5b6d-4c8e-9f0a-1b2c3d4e5f60"
OTHER_UUID = "0a9b8c7d-6e5f-4a3b-8c2d-1e0f9a8b7c6d"
HOME = "https://lms.example.org"
VERBS = "http://adlnet.gov/expapi/verbs"
ACTIVITIES = "https://formation.example.org/activities"
INTERACTION = "http://adlnet.gov/expapi/activities/cmi.interaction"

# --- good statements ---------------------------------------------------------------------------


def minimal() -> Statement:
    """The simplest statement: actor, verb and object (Data 2.4.s2)."""
    return {
        "actor": {"mbox": "mailto:camille.dupont@example.org"},
        "verb": {"id": f"{VERBS}/attempted", "display": {"fr": "a tenté", "en-US": "attempted"}},
        "object": {"id": f"{ACTIVITIES}/sst-2024/module-1"},
    }


def full() -> Statement:
    """Most properties at once, as a store returns them (Data appendix A, the long example)."""
    return {
        "id": UUID,
        "actor": {
            "objectType": "Group",
            "name": "Équipe SST du mardi",
            "mbox": "mailto:equipe-sst@example.org",
            "member": [
                {"name": "Camille Dupont", "account": {"homePage": HOME, "name": "13936749"}},
                {"objectType": "Agent", "openid": "https://camille.openid.example.org/"},
                {"mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"},
            ],
        },
        "verb": {"id": f"{VERBS}/attended", "display": {"fr-FR": "a assisté", "en": "attended"}},
        "object": {
            "objectType": "Activity",
            "id": f"{ACTIVITIES}/sst-2024/session-3",
            "definition": {
                "name": {"fr": "Session 3 : premiers secours", "en-GB": "Session 3: first aid"},
                "description": {"fr": "Gestes de premiers secours en atelier."},
                "type": "http://adlnet.gov/expapi/activities/meeting",
                "moreInfo": "https://formation.example.org/sst/session-3",
                "extensions": {"https://formation.example.org/xapi/room": {"name": "Salle B"}},
            },
        },
        "result": {
            "score": {"scaled": 0.85, "raw": 17, "min": 0, "max": 20},
            "success": True,
            "completion": True,
            "response": "Mise en PLS correcte.",
            "duration": "PT1H30M",
            "extensions": {"https://formation.example.org/xapi/attempts": 2},
        },
        "context": {
            "registration": OTHER_UUID,
            "instructor": {"name": "Dominique Lefèvre", "mbox": "mailto:d.lefevre@example.org"},
            "team": {"objectType": "Group", "mbox": "mailto:equipe-sst@example.org"},
            "contextActivities": {
                "parent": [{"id": f"{ACTIVITIES}/sst-2024"}],
                "grouping": [{"objectType": "Activity", "id": f"{ACTIVITIES}/parcours-secu"}],
                "category": [{"id": "https://w3id.org/xapi/cmi5/context/categories/cmi5"}],
                "other": {"id": f"{ACTIVITIES}/manuel-sst"},
            },
            "revision": "2024.2",
            "platform": "Plateforme de formation",
            "language": "fr-FR",
            "statement": {"objectType": "StatementRef", "id": OTHER_UUID},
            "extensions": {"https://formation.example.org/xapi/site": "Lyon"},
        },
        "timestamp": "2024-03-05T14:30:00.250+01:00",
        "stored": "2024-03-05T13:31:02.118Z",
        "authority": {"objectType": "Agent", "account": {"homePage": HOME, "name": "client-lms"}},
        "version": "1.0.0",
    }


def voiding() -> Statement:
    """A statement that voids another (Data 2.3.2.s3)."""
    return {
        "actor": {"name": "Administration", "mbox": "mailto:admin@example.org"},
        "verb": {"id": VOIDED, "display": {"en-US": "voided"}},
        "object": {"objectType": "StatementRef", "id": UUID},
    }


def comment() -> Statement:
    """A comment on an earlier statement (Data 2.4.4.3.s5)."""
    return {
        "actor": {"objectType": "Agent", "mbox": "mailto:formateur@example.org"},
        "verb": {"id": "https://formation.example.org/verbs/commented"},
        "object": {"objectType": "StatementRef", "id": UUID},
        "result": {"response": "Très bon travail."},
    }


def planned() -> Statement:
    """A SubStatement: "I planned to visit the course site" (Data 2.4.4.3.s9)."""
    return {
        "actor": {"mbox": "mailto:camille.dupont@example.org"},
        "verb": {"id": "https://formation.example.org/verbs/planned"},
        "object": {
            "objectType": "SubStatement",
            "actor": {"mbox": "mailto:camille.dupont@example.org"},
            "verb": {"id": "https://formation.example.org/verbs/visited"},
            "object": {
                "id": f"{ACTIVITIES}/site",
                "definition": {"name": {"fr": "Le site de la formation"}},
            },
            "timestamp": "2031-01-01T09:00:00Z",  # a SubStatement may be in the future
            "result": {"completion": False},
            "context": {"platform": "Navigateur", "registration": UUID},
        },
    }


def agent_object() -> Statement:
    """An Agent as the object: "the trainer interviewed Camille" (Data 2.4.4.2)."""
    return {
        "actor": {"mbox": "mailto:formateur@example.org"},
        "verb": {"id": "https://formation.example.org/verbs/interviewed"},
        "object": {"objectType": "Agent", "mbox": "mailto:camille.dupont@example.org"},
        "context": {"contextActivities": {"grouping": {"id": f"{ACTIVITIES}/sst-2024"}}},
    }


def interaction(kind: str, **extra: Any) -> Callable[[], Statement]:
    """An answer to a question of the given interactionType (Data appendix C)."""

    def build() -> Statement:
        statement = minimal()
        statement["verb"] = {"id": f"{VERBS}/answered"}
        statement["object"]["definition"] = {
            "description": {"fr": "Question"},
            "type": INTERACTION,
            "interactionType": kind,
            **copy.deepcopy(extra),
        }
        return statement

    build.__name__ = f"interaction_{kind}"
    return build


def choices(*ids: str) -> list[dict[str, Any]]:
    return [{"id": id_, "description": {"fr": id_.capitalize()}} for id_ in ids]


def with_attachment() -> Statement:
    """A certificate as an attachment, and a JWS signature (Data 2.4.11, 2.6)."""
    statement = minimal()
    statement["attachments"] = [
        {
            "usageType": "https://formation.example.org/attachments/certificate",
            "display": {"fr": "Attestation", "en-US": "Certificate"},
            "description": {"fr": "Attestation de fin de formation"},
            "contentType": "application/pdf",
            "length": 48_213,
            "sha2": "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a",
            "fileUrl": "https://formation.example.org/attestations/1.pdf",
        },
        {
            "usageType": "http://adlnet.gov/expapi/attachments/signature",
            "display": {"en-US": "Signature"},
            "contentType": "application/octet-stream",
            "length": 4_235,
            "sha2": "672fa5fa658017f1b72d65036f13379c6ab05d4ab3b6664908d8acf0b6a0c634"
            "672fa5fa658017f1b72d65036f13379c6ab05d4ab3b6664908d8acf0b6a0c634",
        },
    ]
    return statement


def with_context_agents() -> Statement:
    """xAPI 2.0's contextAgents and contextGroups."""
    statement = minimal()
    statement["version"] = "2.0.0"
    statement["context"] = {
        "contextAgents": [
            {
                "objectType": "contextAgent",
                "agent": {"mbox": "mailto:tuteur@example.org"},
                "relevantTypes": ["https://formation.example.org/roles/tutor"],
            }
        ],
        "contextGroups": [
            {
                "objectType": "contextGroup",
                "group": {"objectType": "Group", "account": {"homePage": HOME, "name": "g-12"}},
            }
        ],
    }
    return statement


def changed(build: Callable[[], Statement], edit: Callable[[Statement], object]) -> Statement:
    statement = build()
    edit(statement)
    return statement


GOOD: list[Callable[[], Statement]] = [
    minimal,
    full,
    voiding,
    comment,
    planned,
    agent_object,
    with_attachment,
    with_context_agents,
    interaction("true-false", correctResponsesPattern=["true"]),
    interaction(
        "choice", correctResponsesPattern=["golf[,]tetris"], choices=choices("golf", "tetris")
    ),
    interaction("fill-in", correctResponsesPattern=["Bob's your uncle"]),
    interaction(
        "long-fill-in", correctResponsesPattern=["{case_matters=false}{lang=fr}Pour apprendre."]
    ),
    interaction("likert", correctResponsesPattern=["likert_3"], scale=choices("likert_0", "l_3")),
    interaction(
        "matching",
        correctResponsesPattern=["ben[.]3[,]chris[.]2"],
        source=choices("ben", "chris"),
        target=choices("2", "3"),
    ),
    interaction(
        "performance", correctResponsesPattern=["pong[.]1:[,]dg[.]:10"], steps=choices("p")
    ),
    interaction("sequencing", correctResponsesPattern=["a[,]b"], choices=choices("a", "b")),
    interaction("numeric", correctResponsesPattern=["4[:]"]),
    interaction("other", correctResponsesPattern=[]),
]


@pytest.mark.parametrize("build", GOOD, ids=lambda build: build.__name__)
def test_the_examples_are_valid(build: Callable[[], Statement]) -> None:
    statement = build()
    before = copy.deepcopy(statement)
    validate_statement(statement)
    assert statement == before  # validation never changes what it reads


GOOD_VARIANTS: list[tuple[str, Callable[[Statement], object]]] = [
    ("uppercase UUID", lambda s: s.update(id=UUID.upper())),
    ("version 1.0", lambda s: s.update(version="1.0")),
    ("version 1.0.3", lambda s: s.update(version="1.0.3")),
    ("version 2.0.0", lambda s: s.update(version="2.0.0")),
    ("empty extensions", lambda s: s["result"].update(extensions={})),
    ("empty definition", lambda s: s["object"].update(definition={})),
    (
        "extension values of any kind",
        lambda s: s["context"].update(
            extensions={
                "https://x.example.org/a": None,
                "urn:x:b": "",
                "tag:example.org,2024:c": {},
            }
        ),
    ),
    ("timestamp without offset (UTC)", lambda s: s.update(timestamp="2024-03-05T14:30:00")),
    ("timestamp, space separator", lambda s: s.update(timestamp="2024-03-05 14:30:00.601+00:00")),
    ("timestamp, lower-case t and z", lambda s: s.update(timestamp="2024-03-05t14:30:00z")),
    ("timestamp, +hhmm offset", lambda s: s.update(timestamp="2024-03-05T14:30:00+0100")),
    ("timestamp, +hh offset", lambda s: s.update(timestamp="2024-03-05T14:30:00-05")),
    ("timestamp, basic format", lambda s: s.update(timestamp="20240305T143000,5Z")),
    ("timestamp, nanoseconds", lambda s: s.update(timestamp="2024-03-05T14:30:00.123456789Z")),
    ("timestamp, leap day", lambda s: s.update(timestamp="2024-02-29T23:59:59Z")),
    ("duration in seconds", lambda s: s["result"].update(duration="PT1234S")),
    ("duration with a fraction", lambda s: s["result"].update(duration="PT4H35M59.14S")),
    ("duration in weeks", lambda s: s["result"].update(duration="P4W")),
    ("duration in years", lambda s: s["result"].update(duration="P3Y1M29DT4H35M59.14S")),
    ("raw without bounds", lambda s: s["result"].update(score={"raw": -12.5})),
    ("raw equal to max", lambda s: s["result"]["score"].update(raw=20)),
    ("scaled at -1", lambda s: s["result"]["score"].update(scaled=-1)),
    ("script and region", lambda s: s["verb"].update(display={"zh-Hant-TW": "參加"})),
    ("variant", lambda s: s["verb"].update(display={"de-CH-1996": "teilgenommen"})),
    ("grandfathered tag", lambda s: s["verb"].update(display={"i-klingon": "x", "und": "y"})),
    ("private-use tag", lambda s: s["verb"].update(display={"x-gardien": "z"})),
    ("identified group, no member", lambda s: s["actor"].pop("member")),
    ("empty member list", lambda s: s["actor"].update(member=[])),
    ("instructor as a Group", lambda s: s["context"].update(instructor=s["context"]["team"])),
    ("OAuth authority", lambda s: s.update(authority={"objectType": "Group", "member": OAUTH})),
    ("IRI with percent-encoding", lambda s: s["object"].update(id="urn:x:%C3%A9t%C3%A9")),
    ("IRI with non-ASCII", lambda s: s["object"].update(id="https://example.org/été/ünï")),
]
OAUTH = [
    {"account": {"homePage": "https://lms.example.org/oauth/token", "name": "oauth_consumer_x75"}},
    {"mbox": "mailto:camille.dupont@example.org"},
]


@pytest.mark.parametrize(("name", "edit"), GOOD_VARIANTS, ids=[row[0] for row in GOOD_VARIANTS])
def test_variants_that_are_valid(name: str, edit: Callable[[Statement], object]) -> None:
    validate_statement(changed(full, edit))


# --- one row per rule: what breaks it, and the property the error names ------------------------


def put(path: str, value: Any) -> Callable[[Statement], None]:
    """An edit that sets (or, for DROP, removes) the property at a dotted path with [i] indexes."""

    def edit(statement: Statement) -> None:
        keys: list[Any] = []
        for part in path.split("."):
            name, *indexes = re.split(r"\[(\d+)\]", part)
            keys += [name] if name else []
            keys += [int(i) for i in indexes if i]
        holder: Any = statement
        for key in keys[:-1]:
            holder = holder[key]
        if value is DROP:
            del holder[keys[-1]]
        else:
            holder[keys[-1]] = copy.deepcopy(value)

    return edit


DROP = object()

BAD: list[tuple[str, Callable[[], Statement], Callable[[Statement], object], str]] = [
    # the statement itself
    ("unknown property", minimal, put("grade", "A"), "grade"),
    ("property in the wrong case", minimal, put("Context", {}), "Context"),
    ("objectType on a statement", minimal, put("objectType", "Statement"), "objectType"),
    ("id not a UUID", full, put("id", "1234"), "id"),
    ("id a number", full, put("id", 12345), "id"),
    ("id, a digit too many", full, put("id", UUID + "8"), "id"),
    ("id, not hexadecimal", full, put("id", "M" + UUID[1:]), "id"),
    ("id empty", full, put("id", ""), "id"),
    ("actor missing", minimal, put("actor", DROP), "actor"),
    ("verb missing", minimal, put("verb", DROP), "verb"),
    ("object missing", minimal, put("object", DROP), "object"),
    ("actor null", minimal, put("actor", None), "actor"),
    ("actor a string", minimal, put("actor", "camille"), "actor"),
    # agents and groups
    ("agent without identifier", minimal, put("actor", {"name": "Camille"}), "actor"),
    ("agent, two identifiers", minimal, put("actor.openid", "https://o.example.org/c"), "actor"),
    ("mbox without mailto:", minimal, put("actor.mbox", "camille@example.org"), "actor.mbox"),
    ("mbox, http IRI", minimal, put("actor.mbox", "http://should.fail.example.org"), "actor.mbox"),
    ("mbox without @", minimal, put("actor.mbox", "mailto:should.fail.example.org"), "actor.mbox"),
    ("mbox with a space", minimal, put("actor.mbox", "mailto:c d@example.org"), "actor.mbox"),
    (
        "sha1sum too short",
        full,
        put("actor.member[2].mbox_sha1sum", "ebd31e95"),
        "actor.member[2].mbox_sha1sum",
    ),
    (
        "openid not an IRI",
        full,
        put("actor.member[1].openid", "ab=c://x.example.org"),
        "actor.member[1].openid",
    ),
    (
        "account without homePage",
        full,
        put("actor.member[0].account.homePage", DROP),
        "actor.member[0].account.homePage",
    ),
    (
        "account homePage not an IRI",
        full,
        put("actor.member[0].account.homePage", "lms"),
        "actor.member[0].account.homePage",
    ),
    (
        "account name an object",
        full,
        put("actor.member[0].account.name", {"key": "v"}),
        "actor.member[0].account.name",
    ),
    (
        "account, unknown property",
        full,
        put("actor.member[0].account.email", "x"),
        "actor.member[0].account.email",
    ),
    ("actor objectType unknown", minimal, put("actor.objectType", "Person"), "actor.objectType"),
    ("actor objectType a number", minimal, put("actor.objectType", 123), "actor.objectType"),
    ("agent with members", minimal, put("actor.member", []), "actor.member"),
    ("agent name null", minimal, put("actor.name", None), "actor.name"),
    ("agent name a number", minimal, put("actor.name", 42), "actor.name"),
    ("group, two identifiers", full, put("actor.openid", "https://g.example.org"), "actor"),
    (
        "anonymous group without members",
        full,
        lambda s: (s["actor"].pop("mbox"), s["actor"].pop("member")),
        "actor.member",
    ),
    (
        "anonymous group, empty members",
        full,
        lambda s: (s["actor"].pop("mbox"), s["actor"].update(member=[])),
        "actor.member",
    ),
    (
        "group in a group",
        full,
        put("actor.member[1].objectType", "Group"),
        "actor.member[1].objectType",
    ),
    (
        "members not an array",
        full,
        put("actor.member", {"mbox": "mailto:a@example.org"}),
        "actor.member",
    ),
    (
        "member with a bad mbox",
        full,
        put("actor.member[1]", {"mbox": "a@example.org"}),
        "actor.member[1].mbox",
    ),
    # verb
    ("verb without id", minimal, put("verb.id", DROP), "verb.id"),
    ("verb id not an IRI", minimal, put("verb.id", "voided"), "verb.id"),
    ("verb id empty", minimal, put("verb.id", ""), "verb.id"),
    ("verb, unknown property", minimal, put("verb.name", {"fr": "a tenté"}), "verb.name"),
    ("display not a map", minimal, put("verb.display", "attempted"), "verb.display"),
    ("display empty", minimal, put("verb.display", {}), "verb.display"),
    (
        "display, bad tag",
        minimal,
        put("verb.display", {"en_US": "attempted"}),
        "verb.display.en_US",
    ),
    ("display, one-letter tag", minimal, put("verb.display", {"e": "attempted"}), "verb.display.e"),
    ("display, null text", minimal, put("verb.display.en-US", None), "verb.display.en-US"),
    # objects
    (
        "objectType in the wrong case",
        minimal,
        put("object.objectType", "activity"),
        "object.objectType",
    ),
    ("objectType null", minimal, put("object.objectType", None), "object.objectType"),
    ("activity without id", minimal, put("object.id", DROP), "object.id"),
    ("activity id relative", minimal, put("object.id", "/sst/module-1"), "object.id"),
    ("activity id a fragment", minimal, put("object.id", "#module-1"), "object.id"),
    ("activity id with a space", minimal, put("object.id", "https://example.org/a b"), "object.id"),
    ("activity id, bad percent", minimal, put("object.id", "https://example.org/%zz"), "object.id"),
    (
        "activity id with a newline",
        minimal,
        put("object.id", "https://example.org/a\n"),
        "object.id",
    ),
    (
        "agent object without objectType",
        minimal,
        put("object", {"mbox": "mailto:a@example.org"}),
        "object.mbox",
    ),
    (
        "definition, unknown property",
        full,
        put("object.definition.title", "x"),
        "object.definition.title",
    ),
    (
        "definition name, bad tag",
        full,
        put("object.definition.name", {"fr_FR": "x"}),
        "object.definition.name.fr_FR",
    ),
    (
        "definition type not an IRI",
        full,
        put("object.definition.type", "meeting"),
        "object.definition.type",
    ),
    (
        "moreInfo not an IRL",
        full,
        put("object.definition.moreInfo", "www.example.org"),
        "object.definition.moreInfo",
    ),
    (
        "definition extension key",
        full,
        put("object.definition.extensions", {"room": 1}),
        "object.definition.extensions.room",
    ),
    (
        "extensions not a map",
        full,
        put("object.definition.extensions", []),
        "object.definition.extensions",
    ),
    (
        "unknown interactionType",
        interaction("choice"),
        put("object.definition.interactionType", "multiple-choice"),
        "object.definition.interactionType",
    ),
    (
        "interactionType in the wrong case",
        interaction("choice"),
        put("object.definition.interactionType", "Choice"),
        "object.definition.interactionType",
    ),
    (
        "pattern without interactionType",
        minimal,
        put("object.definition", {"correctResponsesPattern": ["a"]}),
        "object.definition.correctResponsesPattern",
    ),
    (
        "pattern not strings",
        interaction("numeric"),
        put("object.definition.correctResponsesPattern", [4]),
        "object.definition.correctResponsesPattern[0]",
    ),
    (
        "pattern not an array",
        interaction("numeric"),
        put("object.definition.correctResponsesPattern", "4"),
        "object.definition.correctResponsesPattern",
    ),
    (
        "components without interactionType",
        minimal,
        put("object.definition", {"choices": choices("a")}),
        "object.definition.choices",
    ),
    (
        "components of another type",
        interaction("likert"),
        put("object.definition.choices", choices("a")),
        "object.definition.choices",
    ),
    (
        "component without id",
        interaction("likert"),
        put("object.definition.scale", [{"description": {"fr": "x"}}]),
        "object.definition.scale[0].id",
    ),
    (
        "components, same id twice",
        interaction("choice"),
        put("object.definition.choices", choices("a", "b", "a")),
        "object.definition.choices[2].id",
    ),
    (
        "component, unknown property",
        interaction("performance"),
        put("object.definition.steps", [{"id": "a", "x": 1}]),
        "object.definition.steps[0].x",
    ),
    ("StatementRef without id", comment, put("object.id", DROP), "object.id"),
    ("StatementRef id not a UUID", comment, put("object.id", "statement-1"), "object.id"),
    ("StatementRef, unknown property", comment, put("object.definition", {}), "object.definition"),
    (
        "object objectType unknown",
        comment,
        put("object.objectType", "Statement"),
        "object.objectType",
    ),
    ("SubStatement with an id", planned, put("object.id", UUID), "object.id"),
    (
        "SubStatement with stored",
        planned,
        put("object.stored", "2024-01-01T00:00:00Z"),
        "object.stored",
    ),
    ("SubStatement with version", planned, put("object.version", "1.0.0"), "object.version"),
    (
        "SubStatement with authority",
        planned,
        put("object.authority", {"mbox": "mailto:a@example.org"}),
        "object.authority",
    ),
    (
        "SubStatement in a SubStatement",
        planned,
        put("object.object", planned()["object"]),
        "object.object.objectType",
    ),
    ("SubStatement without verb", planned, put("object.verb", DROP), "object.verb"),
    ("SubStatement, bad actor", planned, put("object.actor.mbox", "x"), "object.actor.mbox"),
    (
        "SubStatement, platform and StatementRef",
        planned,
        put("object.object", {"objectType": "StatementRef", "id": UUID}),
        "object.context.platform",
    ),
    # result
    ("result empty", full, put("result", {}), "result"),
    ("result, unknown property", full, put("result.grade", "A"), "result.grade"),
    ("score empty", full, put("result.score", {}), "result.score"),
    ("score, unknown property", full, put("result.score.percent", 85), "result.score.percent"),
    ("scaled above 1", full, put("result.score.scaled", 1.5), "result.score.scaled"),
    ("scaled below -1", full, put("result.score.scaled", -1.01), "result.score.scaled"),
    ("scaled a string", full, put("result.score.scaled", "0.5"), "result.score.scaled"),
    ("scaled a boolean", full, put("result.score.scaled", True), "result.score.scaled"),
    ("raw above max", full, put("result.score.raw", 21), "result.score.raw"),
    ("raw below min", full, put("result.score.raw", -1), "result.score.raw"),
    ("raw a string of digits", full, put("result.score.raw", "17"), "result.score.raw"),
    ("raw not a number", full, put("result.score.raw", math.nan), "result.score.raw"),
    ("raw infinite", full, put("result.score", {"raw": math.inf}), "result.score.raw"),
    ("min equal to max", full, put("result.score.min", 20), "result.score.max"),
    ("min above max", full, put("result.score", {"min": 10, "max": 5}), "result.score.max"),
    ("max a string", full, put("result.score.max", "one hundred"), "result.score.max"),
    ("success a string", full, put("result.success", "true"), "result.success"),
    ("completion a number", full, put("result.completion", 1), "result.completion"),
    ("completion null", full, put("result.completion", None), "result.completion"),
    ("response a number", full, put("result.response", 42), "result.response"),
    ("duration in words", full, put("result.duration", "1 hour"), "result.duration"),
    ("duration, bad designator", full, put("result.duration", "PA1H0M0S"), "result.duration"),
    ("duration, weeks and days", full, put("result.duration", "P4W1D"), "result.duration"),
    ("duration P alone", full, put("result.duration", "P"), "result.duration"),
    ("duration, T without time", full, put("result.duration", "P1DT"), "result.duration"),
    ("duration, seconds without T", full, put("result.duration", "P16559.14S"), "result.duration"),
    (
        "duration, alternative format",
        full,
        put("result.duration", "P0003-06-04T12:30:05"),
        "result.duration",
    ),
    ("duration, fraction not last", full, put("result.duration", "PT1.5H30M"), "result.duration"),
    ("duration, lower case", full, put("result.duration", "pt1h"), "result.duration"),
    ("duration negative", full, put("result.duration", "-PT1H"), "result.duration"),
    ("duration a number", full, put("result.duration", 3600), "result.duration"),
    (
        "result extension key",
        full,
        put("result.extensions", {"attempts": 2}),
        "result.extensions.attempts",
    ),
    # context
    ("context empty", full, put("context", {}), "context"),
    ("context, unknown property", full, put("context.session", "x"), "context.session"),
    (
        "registration not a UUID",
        full,
        put("context.registration", "inscription-12"),
        "context.registration",
    ),
    ("registration null", full, put("context.registration", None), "context.registration"),
    (
        "instructor, bad mbox",
        full,
        put("context.instructor.mbox", "d.lefevre"),
        "context.instructor.mbox",
    ),
    ("team an Agent", full, put("context.team.objectType", "Agent"), "context.team.objectType"),
    (
        "team without objectType",
        full,
        put("context.team.objectType", DROP),
        "context.team.objectType",
    ),
    (
        "contextActivities empty",
        full,
        put("context.contextActivities", {}),
        "context.contextActivities",
    ),
    (
        "contextActivities, unknown kind",
        full,
        put("context.contextActivities.parents", []),
        "context.contextActivities.parents",
    ),
    (
        "context activity without id",
        full,
        put("context.contextActivities.parent[0].id", DROP),
        "context.contextActivities.parent[0].id",
    ),
    (
        "single context activity, bad id",
        full,
        put("context.contextActivities.other.id", "manuel"),
        "context.contextActivities.other.id",
    ),
    (
        "context activity an Agent",
        full,
        put("context.contextActivities.grouping[0].objectType", "Agent"),
        "context.contextActivities.grouping[0].objectType",
    ),
    (
        "context activity a string",
        full,
        put("context.contextActivities.category", ["cmi5"]),
        "context.contextActivities.category[0]",
    ),
    ("revision a number", full, put("context.revision", 2), "context.revision"),
    ("platform a boolean", full, put("context.platform", False), "context.platform"),
    (
        "revision with an Agent object",
        agent_object,
        put("context.revision", "2"),
        "context.revision",
    ),
    (
        "platform with a StatementRef",
        comment,
        put("context", {"platform": "LMS"}),
        "context.platform",
    ),
    ("language not a tag", full, put("context.language", "français"), "context.language"),
    (
        "language, tag too long",
        full,
        put("context.language", "francaisdefrance"),
        "context.language",
    ),
    (
        "context statement without objectType",
        full,
        put("context.statement.objectType", DROP),
        "context.statement.objectType",
    ),
    ("context statement, bad id", full, put("context.statement.id", "x"), "context.statement.id"),
    (
        "context extension key",
        full,
        put("context.extensions", {"site": "Lyon"}),
        "context.extensions.site",
    ),
    (
        "contextAgents not an array",
        with_context_agents,
        put("context.contextAgents", {}),
        "context.contextAgents",
    ),
    (
        "contextAgent objectType",
        with_context_agents,
        put("context.contextAgents[0].objectType", "Agent"),
        "context.contextAgents[0].objectType",
    ),
    (
        "contextAgent without agent",
        with_context_agents,
        put("context.contextAgents[0].agent", DROP),
        "context.contextAgents[0].agent",
    ),
    (
        "contextAgent, invalid agent",
        with_context_agents,
        put("context.contextAgents[0].agent", {"key": "v"}),
        "context.contextAgents[0].agent.key",
    ),
    (
        "contextAgent, a Group as agent",
        with_context_agents,
        put("context.contextAgents[0].agent.objectType", "Group"),
        "context.contextAgents[0].agent.objectType",
    ),
    (
        "relevantTypes empty",
        with_context_agents,
        put("context.contextAgents[0].relevantTypes", []),
        "context.contextAgents[0].relevantTypes",
    ),
    (
        "relevantTypes not IRIs",
        with_context_agents,
        put("context.contextAgents[0].relevantTypes", ["abc"]),
        "context.contextAgents[0].relevantTypes[0]",
    ),
    (
        "contextGroup, group without objectType",
        with_context_agents,
        put("context.contextGroups[0].group.objectType", DROP),
        "context.contextGroups[0].group.objectType",
    ),
    (
        "contextGroup objectType",
        with_context_agents,
        put("context.contextGroups[0].objectType", "Group"),
        "context.contextGroups[0].objectType",
    ),
    # timestamps, authority, version
    ("timestamp in words", full, put("timestamp", "should fail"), "timestamp"),
    ("timestamp, US date", full, put("timestamp", "01/011/2015"), "timestamp"),
    ("timestamp, no such day", full, put("timestamp", "2023-02-29T12:00:00Z"), "timestamp"),
    ("timestamp, hour 24", full, put("timestamp", "2024-03-05T24:00:00Z"), "timestamp"),
    ("timestamp, leap second", full, put("timestamp", "2016-12-31T23:59:60Z"), "timestamp"),
    ("timestamp without seconds", full, put("timestamp", "2024-03-05T14:30Z"), "timestamp"),
    ("timestamp, date only", full, put("timestamp", "2024-03-05"), "timestamp"),
    ("timestamp, offset -00", full, put("timestamp", "2008-09-15T15:53:00.601-00"), "timestamp"),
    (
        "timestamp, offset -0000",
        full,
        put("timestamp", "2008-09-15T15:53:00.601-0000"),
        "timestamp",
    ),
    (
        "timestamp, offset -00:00",
        full,
        put("timestamp", "2008-09-15T15:53:00.601-00:00"),
        "timestamp",
    ),
    (
        "timestamp, offset minutes 75",
        full,
        put("timestamp", "2024-03-05T14:30:00+01:75"),
        "timestamp",
    ),
    (
        "timestamp, offset 24 hours",
        full,
        put("timestamp", "2024-03-05T14:30:00+24:00"),
        "timestamp",
    ),
    ("timestamp, trailing newline", full, put("timestamp", "2024-03-05T14:30:00Z\n"), "timestamp"),
    ("timestamp, Arabic-Indic digits", full, put("timestamp", "٢٠٢٤-03-05T14:30:00Z"), "timestamp"),
    ("timestamp a number", full, put("timestamp", 1709645400), "timestamp"),
    ("stored in words", full, put("stored", "yesterday"), "stored"),
    ("authority, bad mbox", full, put("authority", {"mbox": "x@example.org"}), "authority.mbox"),
    (
        "authority, group of three",
        full,
        put(
            "authority",
            {"objectType": "Group", "member": [*OAUTH, {"mbox": "mailto:c@example.org"}]},
        ),
        "authority.member",
    ),
    (
        "authority, identified group",
        full,
        put("authority", {"objectType": "Group", "mbox": "mailto:g@example.org"}),
        "authority",
    ),
    (
        "authority, identified group of two",  # ADL's XAPI-00100: no group of people
        full,
        put(
            "authority",
            {"objectType": "Group", "openid": "https://g.example.org/", "member": OAUTH},
        ),
        "authority",
    ),
    ("version 0.95", full, put("version", "0.95"), "version"),
    ("version 1.1.0", full, put("version", "1.1.0"), "version"),
    ("version 2.1.0", full, put("version", "2.1.0"), "version"),
    ("version 1.0.", full, put("version", "1.0."), "version"),
    ("version a number", full, put("version", 1.0), "version"),
    # attachments
    ("attachments not an array", with_attachment, put("attachments", {}), "attachments"),
    (
        "attachment not an object",
        with_attachment,
        put("attachments[1]", "signature"),
        "attachments[1]",
    ),
    (
        "attachment without sha2",
        with_attachment,
        put("attachments[0].sha2", DROP),
        "attachments[0].sha2",
    ),
    (
        "attachment, bad sha2",
        with_attachment,
        put("attachments[0].sha2", "495395e7"),
        "attachments[0].sha2",
    ),
    (
        "attachment without display",
        with_attachment,
        put("attachments[1].display", DROP),
        "attachments[1].display",
    ),
    (
        "attachment, display bad tag",
        with_attachment,
        put("attachments[0].display", {"something": 1}),
        "attachments[0].display.something",
    ),
    (
        "attachment length a string",
        with_attachment,
        put("attachments[0].length", "27"),
        "attachments[0].length",
    ),
    (
        "attachment length negative",
        with_attachment,
        put("attachments[0].length", -1),
        "attachments[0].length",
    ),
    (
        "attachment length a float",
        with_attachment,
        put("attachments[0].length", 27.5),
        "attachments[0].length",
    ),
    (
        "attachment usageType not an IRI",
        with_attachment,
        put("attachments[0].usageType", "certificate"),
        "attachments[0].usageType",
    ),
    (
        "attachment contentType",
        with_attachment,
        put("attachments[0].contentType", "pdf"),
        "attachments[0].contentType",
    ),
    (
        "attachment fileUrl",
        with_attachment,
        put("attachments[0].fileUrl", "attestations/1.pdf"),
        "attachments[0].fileUrl",
    ),
    (
        "attachment, unknown property",
        with_attachment,
        put("attachments[0].data", "JVBERi0"),
        "attachments[0].data",
    ),
    # voiding
    (
        "voiding an Activity",
        voiding,
        put("object", {"id": f"{ACTIVITIES}/sst-2024"}),
        "object.objectType",
    ),
    (
        "voiding an Agent",
        voiding,
        put("object", {"objectType": "Agent", "mbox": "mailto:a@example.org"}),
        "object.objectType",
    ),
]


@pytest.mark.parametrize(
    ("name", "build", "edit", "prop"), BAD, ids=[f"{row[0]} ({row[3]})" for row in BAD]
)
def test_each_rule_names_the_offending_property(
    name: str, build: Callable[[], Statement], edit: Callable[[Statement], object], prop: str
) -> None:
    statement = changed(build, edit)
    with pytest.raises(XapiValidationError) as caught:
        validate_statement(statement)
    assert caught.value.prop == prop
    assert str(caught.value) == f"{prop}: {caught.value.problem}"
    assert caught.value.problem


def test_every_bad_row_is_a_single_change_of_a_good_statement() -> None:
    # A row could pass for the wrong reason if its base statement were itself invalid.
    for build in {row[1] for row in BAD}:
        validate_statement(build())


@pytest.mark.parametrize(
    "value", ["mailto:jeanne.martin-secret", "mailto:jeanne martin@example.org"]
)
def test_a_message_never_repeats_the_value(value: str) -> None:
    with pytest.raises(XapiValidationError) as caught:
        validate_statement(changed(minimal, put("actor.mbox", value)))
    assert "jeanne" not in str(caught.value)


def test_a_statement_that_is_not_an_object() -> None:
    with pytest.raises(XapiValidationError) as caught:
        validate_statement(["not", "an", "object"])
    assert (caught.value.prop, str(caught.value)) == (
        "statement",
        "statement: a statement must be a JSON object, not an array",
    )


def test_the_path_prefixes_every_property() -> None:
    with pytest.raises(XapiValidationError) as caught:
        validate_statement(changed(minimal, put("verb.id", "x")), path="[3]")
    assert caught.value.prop == "[3].verb.id"
    with pytest.raises(XapiValidationError) as caught:
        validate_statement(None, path="[3]")
    assert caught.value.prop == "[3]"


def test_the_error_tree() -> None:
    error = XapiValidationError("result.score.scaled", "must be between -1 and 1")
    assert isinstance(error, XapiError)
    assert isinstance(error, GardienError)
    assert error.exit_code == 2
    assert str(error) == "result.score.scaled: must be between -1 and 1"
    conflict = XapiConflictError(UUID)
    assert isinstance(conflict, XapiError)
    assert conflict.statement_id == UUID
    assert conflict.exit_code == 2
    assert UUID in str(conflict)


# --- batches -----------------------------------------------------------------------------------


def test_a_batch_of_one_object() -> None:
    statement = full()
    assert validate_batch(statement) == [statement]


def test_a_batch_of_several() -> None:
    statements = [full(), minimal(), voiding()]
    assert validate_batch(statements) == statements


@pytest.mark.parametrize(
    ("body", "prop"),
    [
        ([], "statements"),
        ("statements", "statements"),
        (None, "statements"),
        ([minimal(), 42], "[1]"),
        ([minimal(), changed(minimal, put("verb.id", "answered"))], "[1].verb.id"),
        ([full(), minimal(), changed(full, put("id", UUID.upper()))], "[2].id"),
        (changed(minimal, put("verb.id", "answered")), "verb.id"),
    ],
    ids=["empty", "a string", "null", "an item not an object", "a bad item", "same id", "one bad"],
)
def test_a_bad_batch(body: object, prop: str) -> None:
    with pytest.raises(XapiValidationError) as caught:
        validate_batch(body)
    assert caught.value.prop == prop


def test_same_id_names_the_first_one() -> None:
    with pytest.raises(XapiValidationError, match=r"^\[2\]\.id: repeats the id of statement \[0\]"):
        validate_batch([full(), minimal(), full()])


# --- voiding -----------------------------------------------------------------------------------


def test_is_voiding() -> None:
    assert is_voiding(changed(voiding, put("object.id", UUID.upper()))) == UUID
    assert is_voiding(comment()) is None
    assert is_voiding(minimal()) is None
    assert is_voiding(planned()) is None
    # A SubStatement saying "voided" voids nothing: it records no event.
    sub = changed(planned, put("object.verb.id", VOIDED))
    sub["object"]["object"] = {"objectType": "StatementRef", "id": UUID}
    sub["object"]["context"].pop("platform")
    validate_statement(sub)
    assert is_voiding(sub) is None


# --- timestamps --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "instant"),
    [
        ("2024-03-05T14:30:00.250+01:00", datetime(2024, 3, 5, 13, 30, 0, 250_000, tzinfo=UTC)),
        ("2024-03-05T14:30:00Z", datetime(2024, 3, 5, 14, 30, tzinfo=UTC)),
        ("2024-03-05T14:30:00", datetime(2024, 3, 5, 14, 30, tzinfo=UTC)),
        ("2024-03-05 14:30:00+00:00", datetime(2024, 3, 5, 14, 30, tzinfo=UTC)),
        ("2024-03-05t14:30:00-05:30", datetime(2024, 3, 5, 20, 0, tzinfo=UTC)),
        ("2024-03-05T14:30:00.1+0100", datetime(2024, 3, 5, 13, 30, 0, 100_000, tzinfo=UTC)),
        ("2024-03-05T14:30:00,123456789+01", datetime(2024, 3, 5, 13, 30, 0, 123_456, tzinfo=UTC)),
        ("20240305T143000Z", datetime(2024, 3, 5, 14, 30, tzinfo=UTC)),
        ("2024-12-31T23:30:00-01:00", datetime(2025, 1, 1, 0, 30, tzinfo=UTC)),
    ],
)
def test_parse_timestamp(text: str, instant: datetime) -> None:
    parsed = parse_timestamp(text)
    assert parsed == instant
    assert parsed.tzinfo is UTC


def test_parse_timestamp_names_the_property() -> None:
    with pytest.raises(XapiValidationError, match=r"^since: must be an ISO 8601 date and time"):
        parse_timestamp("last week", prop="since")
    with pytest.raises(XapiValidationError, match=r"^until: is not a valid date and time$"):
        parse_timestamp("2024-02-30T00:00:00Z", prop="until")


ZONES = st.builds(
    lambda minutes: timezone(timedelta(minutes=minutes)),
    st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59),
)


@given(st.datetimes(timezones=ZONES))
def test_any_isoformat_gives_back_its_instant_or_is_out_of_range(moment: datetime) -> None:
    text = moment.isoformat()
    try:
        in_range = EARLIEST <= moment.astimezone(UTC) <= LATEST
    except OverflowError:  # year 0 or 10000 in UTC
        in_range = False
    if in_range:
        assert parse_timestamp(text) == moment
        assert parse_timestamp(text.replace("T", " ")) == moment
    else:
        with pytest.raises(XapiValidationError, match=r"^timestamp: is out of range"):
            parse_timestamp(text)


@pytest.mark.parametrize(
    "text",
    [
        "0001-01-01T00:00:00+14:00",  # year 0 in UTC: no datetime holds it
        "0001-01-01t00:00:00+14:00",  # the same, read by the slower path
        "9999-12-31T23:59:59-14:00",  # year 10000 in UTC
        "00010101T000000+1400",
        "0001-01-01T23:59:59Z",  # in UTC, but year 0 somewhere west
        "9999-12-31T00:00:00Z",  # in UTC, but year 10000 somewhere east
    ],
)
def test_instants_at_the_edges_of_the_calendar_are_out_of_range(text: str) -> None:
    with pytest.raises(XapiValidationError) as caught:
        parse_timestamp(text, prop="until")
    assert (caught.value.prop, caught.value.problem) == ("until", OUT_OF_RANGE)
    assert parse_timestamp("0001-01-02T00:00:00Z") == EARLIEST
    assert parse_timestamp("9999-12-30T23:59:59.999999Z") == LATEST


@given(st.text(max_size=40))
def test_random_text_as_a_timestamp_is_refused_or_parsed(text: str) -> None:
    try:
        instant = parse_timestamp(text)
    except XapiValidationError:
        return
    assert instant.tzinfo is UTC


# --- durations ---------------------------------------------------------------------------------

NUMBERS = st.integers(min_value=0, max_value=10**6).map(str)
FRACTIONS = st.from_regex(r"[.,][0-9]{1,4}", fullmatch=True)


@st.composite
def durations(draw: st.DrawFn) -> str:
    """A well-formed ISO 8601 duration: components in order, a fraction on the last only."""
    if draw(st.booleans()):
        return "P" + draw(NUMBERS) + draw(st.one_of(st.just(""), FRACTIONS)) + "W"
    date_part = [d for d in "YMD" if draw(st.booleans())]
    time_part = [t for t in "HMS" if draw(st.booleans())]
    assume(date_part or time_part)
    last = (date_part + time_part)[-1], bool(time_part)
    text = "P"
    for designator in date_part:
        text += draw(NUMBERS)
        if (designator, False) == last:
            text += draw(st.one_of(st.just(""), FRACTIONS))
        text += designator
    if time_part:
        text += "T"
        for designator in time_part:
            text += draw(NUMBERS)
            if (designator, True) == last:
                text += draw(st.one_of(st.just(""), FRACTIONS))
            text += designator
    return text


@given(durations())
def test_well_formed_durations_are_accepted(duration: str) -> None:
    assert is_duration(duration)
    validate_statement(changed(full, put("result.duration", duration)))


# A reference written differently from the module: split into components and check each.
_PARTS = re.compile(r"([0-9]+(?:[.,][0-9]+)?)([YMDHSW])")


def reference_duration(text: str) -> bool:
    if not text.startswith("P") or text.endswith("T"):
        return False
    date_part, _, time_part = text[1:].partition("T")
    parts = []
    for section, allowed in ((date_part, "YMDW"), (time_part, "HMS")):
        found = _PARTS.findall(section)
        if "".join(n + d for n, d in found) != section or any(d not in allowed for _, d in found):
            return False
        order = [allowed.index(d) for _, d in found]
        if order != sorted(set(order)):
            return False
        parts += found
    if not parts or ("T" in text and not time_part):
        return False
    if any(d == "W" for _, d in parts) and len(parts) > 1:
        return False
    return all("." not in n and "," not in n for n, _ in parts[:-1])


@given(st.one_of(st.text(alphabet="PYMWDTHS0123456789.,-", max_size=16), st.text(max_size=16)))
def test_random_durations_agree_with_a_reference(text: str) -> None:
    assert bool(is_duration(text)) == reference_duration(text)


@pytest.mark.parametrize("text", ["PT1H30M", "P1DT2H", "PT0.5S", "P0D", "PT0,5S", "P1.5Y"])
def test_durations_of_the_issue(text: str) -> None:
    assert reference_duration(text)
    assert is_duration(text)


# --- scores ------------------------------------------------------------------------------------

SCORE_NUMBERS = st.one_of(
    st.integers(min_value=-1000, max_value=1000),
    st.floats(min_value=-1000, max_value=1000),
    st.sampled_from([-1, 1, 0, -1.0, 1.0, math.inf, -math.inf, math.nan]),
)


@given(st.dictionaries(st.sampled_from(["scaled", "raw", "min", "max"]), SCORE_NUMBERS, min_size=1))
def test_a_score_is_accepted_exactly_when_the_rules_hold(score: dict[str, float]) -> None:
    finite = all(math.isfinite(value) for value in score.values())
    scaled_ok = -1 <= score.get("scaled", 0) <= 1
    low, high, raw = score.get("min"), score.get("max"), score.get("raw")
    bounds_ok = low is None or high is None or low < high
    raw_ok = raw is None or ((low is None or low <= raw) and (high is None or raw <= high))
    statement = changed(full, put("result.score", score))
    if finite and scaled_ok and bounds_ok and raw_ok:
        validate_statement(statement)
    else:
        with pytest.raises(XapiValidationError, match=r"^result\.score\."):
            validate_statement(statement)


# --- formats -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "valid"),
    [
        ("fr", True),
        ("en-US", True),
        ("es-419", True),
        ("zh-yue-HK", True),
        ("sr-Latn-RS", True),
        ("sl-rozaj-biske", True),
        ("en-a-bbb-x-a-ccc", True),
        ("x-whatever", True),
        ("EN-gb", True),
        ("en-GB-oed", True),
        ("i-klingon", True),
        ("zh-min-nan", True),
        ("en_US", False),
        ("e", False),
        ("", False),
        ("en-", False),
        ("en--US", False),
        ("en-US-", False),
        ("a-DE", False),
        ("tlh-Latn-US-x", False),
        ("toolonglanguage", False),
        ("en-a", False),
        ("fr\n", False),
        ("ﬀ", False),
        ("en-\u212aZ", False),  # the Kelvin sign, a K to case-insensitive Unicode
    ],
)
def test_language_tags(tag: str, valid: bool) -> None:
    assert is_language_tag(tag) is valid
    assert is_language_tag(tag) is valid  # the second time from the cache of good tags


def test_a_long_language_tag_does_not_take_long() -> None:
    tag = "en" + "-abcde" * 2000 + "-"
    assert is_language_tag(tag) is False


@pytest.mark.parametrize(
    ("iri", "valid"),
    [
        ("http://adlnet.gov/expapi/verbs/voided", True),
        ("urn:uuid:f1c9a2e4-5b6d-4c8e-9f0a-1b2c3d4e5f60", True),
        ("tag:example.org,2024:verbs/answered", True),
        ("https://example.org/فعل/خواندن", True),
        ("mailto:a@example.org", True),
        ("https://example.org/a?b=c#d", True),
        ("https://[2001:db8::1]/a", True),
        ("example.org/a", False),
        ("/a/b", False),
        ("#fragment", False),
        ("1http://example.org", False),
        ("http:", False),
        ("https://example.org/a b", False),
        ("https://example.org/a\tb", False),
        ("https://example.org/<a>", False),
        ('https://example.org/"a"', False),
        ("https://example.org/%2", False),
        ("https://example.org/%C3%A9", True),
    ],
)
def test_iris(iri: str, valid: bool) -> None:
    assert bool(is_iri(iri)) is valid


# --- robustness: whatever JSON comes, a XapiValidationError or nothing ---------------------------

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*prefix, index))
    return found


FULL_PATHS = paths(full()) + paths(with_attachment()) + paths(planned())


@given(st.sampled_from(FULL_PATHS), JSON)
def test_any_value_anywhere_is_refused_or_accepted_cleanly(
    path: tuple[Any, ...], value: Any
) -> None:
    for build in (full, with_attachment, planned):
        statement = build()
        holder: Any = statement
        try:
            for key in path[:-1]:
                holder = holder[key]
            holder[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue
        try:
            validate_statement(statement)
        except XapiValidationError as err:
            assert err.prop
            assert err.problem


@given(JSON)
def test_any_json_as_a_batch(value: Any) -> None:
    try:
        validate_batch(value)
    except XapiValidationError as err:
        assert err.prop


@given(st.text(max_size=60))
def test_random_text_in_formatted_places(text: str) -> None:
    for path in ("id", "timestamp", "verb.id", "actor.mbox", "context.language", "version"):
        try:
            validate_statement(changed(full, put(path, text)))
        except XapiValidationError as err:
            assert err.prop == path


# --- statement comparison ----------------------------------------------------------------------


def as_stored(statement: Statement) -> Statement:
    """What a store gives back: its own stored, authority, version, UTC times, arrays, defaults."""
    stored = copy.deepcopy(statement)
    stored["stored"] = "2024-03-06T08:00:00.000Z"
    stored["authority"] = {"account": {"homePage": HOME, "name": "gardien"}}
    stored.setdefault("version", "1.0.0")
    stored["timestamp"] = "2024-03-05T13:30:00.250Z"
    stored["object"]["objectType"] = "Activity"
    stored["object"]["definition"]["name"]["fr"] = "Un autre nom, canonique"
    stored["verb"]["display"] = {"en-US": "attended"}
    stored["actor"]["member"].reverse()
    context_activities = stored["context"]["contextActivities"]
    context_activities["other"] = [context_activities["other"]]
    return stored


def test_a_statement_is_equivalent_to_what_the_store_returns() -> None:
    assert statements_equivalent(full(), as_stored(full()))
    assert statements_equivalent(as_stored(full()), full())


EQUIVALENT: list[tuple[str, Callable[[Statement], object]]] = [
    ("no id", put("id", DROP)),
    ("id in capitals", put("id", UUID.upper())),
    ("no timestamp", put("timestamp", DROP)),
    ("timestamp in another zone", put("timestamp", "2024-03-05T08:30:00.250-05:00")),
    ("timestamp rounded", put("timestamp", "2024-03-05T14:30:00.2504+01:00")),
    ("other stored", put("stored", "2030-01-01T00:00:00Z")),
    ("no authority", put("authority", DROP)),
    ("other version", put("version", "1.0.3")),
    ("verb display", put("verb.display", {"de": "teilgenommen"})),
    ("activity definition", put("object.definition", {"name": {"fr": "Autre"}})),
    (
        "context activity definition",
        put(
            "context.contextActivities.other",
            [{"id": f"{ACTIVITIES}/manuel-sst", "definition": {"name": {"fr": "Manuel"}}}],
        ),
    ),
    ("members in another order", lambda s: s["actor"]["member"].reverse()),
    ("explicit Agent objectType", put("actor.member[0].objectType", "Agent")),
    ("email domain in capitals", put("context.instructor.mbox", "mailto:d.lefevre@EXAMPLE.ORG")),
    (
        "sha1 in capitals",
        put("actor.member[2].mbox_sha1sum", "EBD31E95054C018B10727CCFFD2EF2EC3A016EE9"),
    ),
    ("registration in capitals", put("context.registration", OTHER_UUID.upper())),
    ("language in capitals", put("context.language", "FR-fr")),
    ("score 17.0 for 17", put("result.score.raw", 17.0)),
]

DIFFERENT: list[tuple[str, Callable[[Statement], object]]] = [
    ("other id", put("id", OTHER_UUID)),
    ("timestamp a second later", put("timestamp", "2024-03-05T14:30:01.250+01:00")),
    ("other verb", put("verb.id", f"{VERBS}/attempted")),
    ("other activity", put("object.id", f"{ACTIVITIES}/sst-2024/session-4")),
    ("activity IRI in capitals", put("object.id", f"{ACTIVITIES}/SST-2024/session-3")),
    ("other actor name", put("actor.name", "Équipe SST du jeudi")),
    ("one member less", lambda s: s["actor"]["member"].pop()),
    (
        "email local part in capitals",
        put("context.instructor.mbox", "mailto:D.Lefevre@example.org"),
    ),
    ("other score", put("result.score.raw", 16)),
    ("no score", put("result.score", DROP)),
    ("success false", put("result.success", False)),
    ("other duration", put("result.duration", "PT1H31M")),
    ("other response", put("result.response", "Mise en PLS à revoir.")),
    (
        "other extension",
        put("result.extensions", {"https://formation.example.org/xapi/attempts": 3}),
    ),
    ("no context", put("context", DROP)),
    ("other parent", put("context.contextActivities.parent[0].id", f"{ACTIVITIES}/sst-2025")),
    ("other platform", put("context.platform", "Autre")),
    ("other instructor", put("context.instructor.mbox", "mailto:autre@example.org")),
    ("attachments added", lambda s: s.update(attachments=with_attachment()["attachments"])),
]


@pytest.mark.parametrize(("name", "edit"), EQUIVALENT, ids=[row[0] for row in EQUIVALENT])
def test_differences_the_spec_ignores(name: str, edit: Callable[[Statement], object]) -> None:
    other = changed(full, edit)
    validate_statement(other)
    assert statements_equivalent(full(), other)
    assert statements_equivalent(other, full())


@pytest.mark.parametrize(("name", "edit"), DIFFERENT, ids=[row[0] for row in DIFFERENT])
def test_differences_that_count(name: str, edit: Callable[[Statement], object]) -> None:
    other = changed(full, edit)
    validate_statement(other)
    assert not statements_equivalent(full(), other)
    assert not statements_equivalent(other, full())


def test_substatements_compare_by_their_own_content() -> None:
    assert statements_equivalent(planned(), planned())
    later = changed(planned, put("object.timestamp", "2031-01-01T10:00:00+01:00"))
    assert statements_equivalent(planned(), later)
    other = changed(planned, put("object.result.completion", True))
    assert not statements_equivalent(planned(), other)
    assert not statements_equivalent(planned(), changed(planned, put("object.timestamp", DROP)))


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        ("PT1H30M5.124S", "PT1H30M5.12S", True),
        ("PT5.1S", "PT5,10S", True),
        ("PT5S", "PT5.00S", True),
        ("PT5.129S", "PT5.13S", False),
        ("PT1H30M", "PT1H30M0S", False),  # a string, not an amount of time (Data 2.3.1.b8)
        ("PT90M", "PT1H30M", False),
    ],
)
def test_durations_compare_to_the_hundredth(first: str, second: str, same: bool) -> None:
    a = changed(full, put("result.duration", first))
    b = changed(full, put("result.duration", second))
    assert statements_equivalent(a, b) is same


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        (1, True, False),
        (0, False, False),
        (1, 1.0, True),
        ([1, {"a": None}], [1, {"a": None}], True),
    ],
)
def test_extension_values_compare_as_json(first: object, second: object, same: bool) -> None:
    key = "https://formation.example.org/xapi/attempts"
    a = changed(full, put("result.extensions", {key: first}))
    b = changed(full, put("result.extensions", {key: second}))
    assert statements_equivalent(a, b) is same


def test_attachments_compare_by_their_metadata() -> None:
    base = with_attachment()
    same = changed(with_attachment, put("attachments[0].contentType", "Application/PDF"))
    assert statements_equivalent(base, same)
    other = changed(with_attachment, put("attachments[0].length", 1))
    assert not statements_equivalent(base, other)


@given(st.permutations(range(3)), st.sampled_from(["+01:00", "-03:30", "Z", "+00:00"]))
def test_member_order_and_time_zone_never_count(order: list[int], zone: str) -> None:
    other = full()
    other["actor"]["member"] = [other["actor"]["member"][i] for i in order]
    instant = datetime(2024, 3, 5, 13, 30, 0, 250_000, tzinfo=UTC)
    offset = timedelta(0) if zone == "Z" else datetime.strptime(zone, "%z").utcoffset()
    assert offset is not None
    local = instant.astimezone(timezone(offset)).replace(tzinfo=None)
    other["timestamp"] = local.isoformat(timespec="milliseconds") + zone
    assert statements_equivalent(full(), other)


def test_deep_extension_values_compare_without_recursion() -> None:
    def tree() -> Any:
        deep: Any = "fond"
        for _ in range(5000):
            deep = {"a": [deep]}
        return deep

    key = "https://formation.example.org/xapi/tree"
    a, b = full(), full()
    a["result"]["extensions"] = {key: tree()}
    b["result"]["extensions"] = {key: tree()}
    validate_statement(a)
    assert statements_equivalent(a, b)
    b["result"]["extensions"][key]["a"][0]["a"][0] = 1
    assert not statements_equivalent(a, b)
