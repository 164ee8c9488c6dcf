"""Canonical activity definitions (domain/xapi/activities.py): every activity a statement names,
definitions merged language by language."""

from __future__ import annotations

from typing import Any

from gardien.domain.xapi.activities import activity_object, definitions_in, merge_definition

COURSE = "https://learning.example.org/courses/fle-a2"
QUIZ = COURSE + "/quiz"


def _statement(target: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "actor": {"mbox": "mailto:lea.activity@example.org"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attempted"},
        "object": target,
        **extra,
    }


def test_two_languages_sent_apart_are_both_kept() -> None:
    english = {"type": "http://adlnet.gov/expapi/activities/meeting", "name": {"en-US": "meeting"}}
    french = {"name": {"fr-FR": "réunion"}, "description": {"fr-FR": "une réunion"}}
    kept = merge_definition(english, french)
    assert kept == {
        "type": "http://adlnet.gov/expapi/activities/meeting",
        "name": {"en-US": "meeting", "fr-FR": "réunion"},
        "description": {"fr-FR": "une réunion"},
    }
    # A language sent again takes its new wording; other properties their latest value.
    again = merge_definition(
        kept, {"name": {"en-US": "a meeting"}, "moreInfo": "https://x.example.org"}
    )
    assert again is not None
    assert again["name"] == {"en-US": "a meeting", "fr-FR": "réunion"}
    assert again["moreInfo"] == "https://x.example.org"
    assert again["type"] == "http://adlnet.gov/expapi/activities/meeting"


def test_extensions_gain_keys_and_interaction_components_are_replaced() -> None:
    kept = {"extensions": {"https://x.example.org/a": 1}, "choices": [{"id": "a"}]}
    received = {"extensions": {"https://x.example.org/b": 2}, "choices": [{"id": "b"}]}
    assert merge_definition(kept, received) == {
        "extensions": {"https://x.example.org/a": 1, "https://x.example.org/b": 2},
        "choices": [{"id": "b"}],
    }


def test_no_definition_leaves_what_is_kept() -> None:
    assert merge_definition(None, None) is None
    assert merge_definition({"name": {"fr": "quiz"}}, {}) == {"name": {"fr": "quiz"}}
    assert merge_definition(None, {"name": {"fr": "quiz"}}) == {"name": {"fr": "quiz"}}


def test_every_place_a_statement_names_an_activity_is_found() -> None:
    sub = {
        "objectType": "SubStatement",
        "actor": {"mbox": "mailto:noe.activity@example.org"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attempted"},
        "object": {"id": QUIZ, "definition": {"name": {"fr-FR": "Quiz"}}},
    }
    statements = [
        _statement(
            {"objectType": "Activity", "id": COURSE, "definition": {"name": {"en-US": "Course"}}},
            context={
                "contextActivities": {
                    "parent": {"id": COURSE, "definition": {"name": {"fr-FR": "Cours"}}},
                    "grouping": [{"id": "https://learning.example.org/catalogue"}],
                }
            },
        ),
        _statement(sub),
        _statement({"objectType": "Agent", "mbox": "mailto:not-an-activity@example.org"}),
        _statement({"objectType": "StatementRef", "id": "5a1b4b6c-7c4e-4f37-9c5c-3f1b0c2d4e5f"}),
    ]
    found = definitions_in(statements)
    assert found == {
        COURSE: {"name": {"en-US": "Course", "fr-FR": "Cours"}},
        "https://learning.example.org/catalogue": None,
        QUIZ: {"name": {"fr-FR": "Quiz"}},
    }


def test_an_unknown_activity_still_gets_an_activity_object() -> None:
    assert activity_object(QUIZ, None) == {"objectType": "Activity", "id": QUIZ}
    assert activity_object(QUIZ, {"name": {"fr": "Quiz"}}) == {
        "objectType": "Activity",
        "id": QUIZ,
        "definition": {"name": {"fr": "Quiz"}},
    }
