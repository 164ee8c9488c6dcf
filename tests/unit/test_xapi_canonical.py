"""The formats of GET /statements: exact, ids, canonical with Accept-Language."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from gardien.domain.xapi.canonical import accepted_languages, best_language, in_format

HOME = "https://www.example.org"
ACTOR = {"objectType": "Agent", "account": {"homePage": HOME, "name": "p-4f2a"}}
GROUP = {
    "objectType": "Group",
    "account": {"homePage": f"{HOME}/pseudonyms", "name": "g-77"},
    "member": [ACTOR],
}
ANONYMOUS = {"objectType": "Group", "member": [ACTOR, {"mbox": "mailto:noe.fmt@example.org"}]}
VERB = {
    "id": "http://adlnet.gov/expapi/verbs/answered",
    "display": {"en-US": "answered", "en-GB": "answered (GB)", "fr-FR": "a répondu"},
}
QUIZ = {
    "objectType": "Activity",
    "id": "https://learning.example.org/quiz/q1",
    "definition": {
        "name": {"en-US": "Question 1", "en-GB": "Question one", "fr": "Question un"},
        "description": {"fr": "Choisir", "en-GB": "Choose"},
        "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
        "interactionType": "choice",
        "correctResponsesPattern": ["a"],
        "choices": [
            {"id": "a", "description": {"en-US": "Yes", "fr": "Oui"}},
            {"id": "b", "description": {"fr": "Non"}},
        ],
        "extensions": {"https://example.org/x": {"en-US": "not a language map to reduce"}},
    },
}
PATH = {
    "id": "https://learning.example.org/paths/fle-a2",
    "definition": {"name": {"fr": "FLE A2", "en": "French A2"}},
}


def _statement() -> dict[str, Any]:
    return {
        "id": "0f5ab1a6-0d6d-4a0e-9a43-4a1a5d0e2c11",
        "actor": ACTOR,
        "verb": VERB,
        "object": {
            "objectType": "SubStatement",
            "actor": GROUP,
            "verb": VERB,
            "object": QUIZ,
            "context": {"contextActivities": {"parent": PATH}},
        },
        "context": {
            "instructor": ANONYMOUS,
            "contextActivities": {
                "grouping": [PATH],
                "category": {"id": "https://x.example.org/c"},
            },
        },
        "result": {"response": "a"},
        "authority": {
            "objectType": "Agent",
            "account": {"homePage": f"{HOME}/xapi/clients", "name": "LMS"},
        },
        "stored": "2026-01-15T10:00:00+00:00",
    }


@pytest.mark.parametrize(
    ("header", "ranges"),
    [
        (None, ()),
        ("", ()),
        ("en-GB", (("en-gb", 1.0),)),
        ("fr;q=0.5, en-GB, *;q=0.1", (("en-gb", 1.0), ("fr", 0.5), ("*", 0.1))),
        ("de;q=0, es-419;q=0.8", (("es-419", 0.8), ("de", 0.0))),
        ("en;q=x, fr;level=1, it;q=2, ;q=1, pt-;q=1, nl;q=0.3", (("nl", 0.3),)),
    ],
)
def test_accept_language_is_parsed_best_first(header: str | None, ranges: Any) -> None:
    assert accepted_languages(header) == ranges


@pytest.mark.parametrize(
    ("header", "tags", "chosen"),
    [
        ("en-GB", ["en-US", "en-GB", "fr"], "en-GB"),
        ("EN-gb", ["en-US", "en-GB"], "en-GB"),  # case does not matter, the map's key is kept
        ("en", ["fr", "en-GB", "en-US"], "en-GB"),  # a prefix range matches, first key wins
        ("fr;q=0.4, en-US;q=0.9", ["fr", "en-US"], "en-US"),
        ("en;q=0.2, en-GB;q=0", ["en-GB", "en-US"], "en-US"),  # the longest range decides
        ("*;q=0.5, fr;q=0.6", ["de", "fr"], "fr"),
        ("*", ["de", "fr"], "de"),
        ("en-GB", ["fr", "en-US"], "en-US"),  # none acceptable: the same primary language
        ("ja", ["fr", "en-US"], "fr"),  # nothing close: the first
        (None, ["fr", "en-US"], "fr"),  # no header: all equally acceptable
    ],
)
def test_the_best_language_of_a_map(header: str | None, tags: list[str], chosen: str) -> None:
    assert best_language(tags, accepted_languages(header)) == chosen


def test_an_empty_map_has_no_best_language() -> None:
    assert best_language([], accepted_languages("fr")) is None


def test_exact_is_as_stored_with_context_activities_as_arrays() -> None:
    stored = _statement()
    before = copy.deepcopy(stored)
    exact = in_format(stored, "exact", ())
    assert exact["context"]["contextActivities"]["category"] == [{"id": "https://x.example.org/c"}]
    assert exact["object"]["context"]["contextActivities"]["parent"] == [PATH]
    assert exact["verb"] == VERB and exact["object"]["object"] == QUIZ
    assert stored == before


def test_canonical_keeps_one_language_in_each_map() -> None:
    stored = _statement()
    before = copy.deepcopy(stored)
    found = in_format(stored, "canonical", accepted_languages("en-GB"))
    assert found["verb"] == {"id": VERB["id"], "display": {"en-GB": "answered (GB)"}}
    assert found["object"]["verb"]["display"] == {"en-GB": "answered (GB)"}
    definition = found["object"]["object"]["definition"]
    assert definition["name"] == {"en-GB": "Question one"}
    assert definition["description"] == {"en-GB": "Choose"}
    assert definition["choices"] == [
        {"id": "a", "description": {"en-US": "Yes"}},
        {"id": "b", "description": {"fr": "Non"}},
    ]
    # Everything else as stored: extensions untouched, agents exactly as they are.
    for key in ("type", "interactionType", "correctResponsesPattern", "extensions"):
        assert definition[key] == QUIZ["definition"][key]  # type: ignore[index]
    assert found["actor"] == ACTOR and found["object"]["actor"] == GROUP
    assert found["context"]["instructor"] == ANONYMOUS
    [path] = found["object"]["context"]["contextActivities"]["parent"]
    assert path["definition"]["name"] == {"en": "French A2"}
    assert stored == before


def test_ids_keep_only_identifiers() -> None:
    stored = _statement()
    before = copy.deepcopy(stored)
    found = in_format(stored, "ids", accepted_languages("en-GB"))
    assert found["actor"] == ACTOR  # already nothing but its identifier
    assert found["verb"] == {"id": VERB["id"]}
    sub = found["object"]
    assert sub["objectType"] == "SubStatement"
    assert sub["actor"] == {"objectType": "Group", "account": GROUP["account"]}
    assert sub["object"] == {"id": QUIZ["id"]}
    assert sub["context"]["contextActivities"] == {"parent": [{"id": PATH["id"]}]}
    assert found["context"]["instructor"] == {
        "objectType": "Group",
        "member": [ACTOR, {"objectType": "Agent", "mbox": "mailto:noe.fmt@example.org"}],
    }
    assert found["context"]["contextActivities"] == {
        "grouping": [{"id": PATH["id"]}],
        "category": [{"id": "https://x.example.org/c"}],
    }
    assert found["authority"] == stored["authority"]
    assert found["result"] == stored["result"] and found["stored"] == stored["stored"]
    assert stored == before


def test_ids_of_an_activity_object_and_a_statement_reference() -> None:
    plain = {
        "actor": {"mbox": "mailto:lea.fmt@example.org", "name": "Léa"},
        "verb": VERB,
        "object": QUIZ,
    }
    found = in_format(plain, "ids", ())
    assert found["object"] == {"id": QUIZ["id"]}
    assert found["actor"] == {"objectType": "Agent", "mbox": "mailto:lea.fmt@example.org"}
    ref = {"objectType": "StatementRef", "id": "0f5ab1a6-0d6d-4a0e-9a43-4a1a5d0e2c11"}
    assert in_format({**plain, "object": ref}, "ids", ())["object"] == ref
