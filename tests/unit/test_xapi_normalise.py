"""Context activities are arrays once stored, a sub-statement's too; nothing else changes."""

from __future__ import annotations

import copy
from typing import Any

from gardien.domain.xapi.normalise import normalised

PARENT = {"objectType": "Activity", "id": "https://learning.example.org/paths/fle-a2"}
CATEGORY = {"id": "https://profiles.example.org/cmi5"}


def _statement(**context_activities: Any) -> dict[str, Any]:
    return {
        "actor": {"mbox": "mailto:lea.normalise@example.org"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attempted"},
        "object": {"id": "https://learning.example.org/paths/fle-a2/modules/m1"},
        "context": {
            "registration": "5c5d8cbe-2b9b-4f59-8a0c-2f1f0f0f0f01",
            "contextActivities": context_activities,
        },
    }


def test_a_single_activity_becomes_an_array_of_one() -> None:
    received = _statement(parent=PARENT, category=[CATEGORY])
    before = copy.deepcopy(received)
    stored = normalised(received)
    assert stored["context"]["contextActivities"] == {"parent": [PARENT], "category": [CATEGORY]}
    assert stored["context"]["registration"] == received["context"]["registration"]
    assert received == before  # the statement received is not changed in place


def test_a_statement_already_in_shape_is_returned_as_is() -> None:
    received = _statement(parent=[PARENT], other=[])
    assert normalised(received) is received
    no_context = {key: value for key, value in received.items() if key != "context"}
    assert normalised(no_context) is no_context


def test_a_sub_statements_context_is_normalised_too() -> None:
    inner = _statement(grouping=PARENT)
    inner["objectType"] = "SubStatement"
    outer = {**_statement(category=CATEGORY), "object": inner}
    stored = normalised(outer)
    assert stored["context"]["contextActivities"] == {"category": [CATEGORY]}
    assert stored["object"]["context"]["contextActivities"] == {"grouping": [PARENT]}
    assert stored["object"]["objectType"] == "SubStatement"
    assert inner["context"]["contextActivities"] == {"grouping": PARENT}
