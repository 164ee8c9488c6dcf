"""Canonical Activity definitions (xAPI Communication 2.5, Data 2.4.4.1): what the Activities
resource returns for an activity id, gathered from every statement that names the activity.

Statements name activities as their object, in their context activities (parent, grouping,
category, other) and in a sub-statement's object and context. Each definition received is
merged into the one kept: language maps (``name``, ``description``) gain the languages they did
not have and take the new wording of those they had, so that two statements describing one
activity in two languages give back both (XAPI-00254); ``extensions`` gain or replace keys;
every other property takes its latest value. Plain Python: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

LANGUAGE_MAPS = ("name", "description")
CONTEXT_ACTIVITIES = ("parent", "grouping", "category", "other")


def merge_definition(
    kept: Mapping[str, Any] | None, received: Mapping[str, Any] | None
) -> dict[str, Any] | None:
    """The definition kept after ``received`` arrives on top of ``kept`` (either may be None)."""
    if not received:
        return dict(kept) if kept is not None else None
    result = dict(kept or {})
    for key, value in received.items():
        old = result.get(key)
        if key in (*LANGUAGE_MAPS, "extensions") and isinstance(old, dict):
            result[key] = {**old, **value} if isinstance(value, dict) else value
        else:
            result[key] = value
    return result


def _activities(statement: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    target = statement.get("object")
    if isinstance(target, Mapping):
        kind = target.get("objectType", "Activity")
        if kind == "Activity" and isinstance(target.get("id"), str):
            yield target
        elif kind == "SubStatement":
            yield from _activities(target)
    context = statement.get("context")
    found = context.get("contextActivities") if isinstance(context, Mapping) else None
    if isinstance(found, Mapping):
        for key in CONTEXT_ACTIVITIES:
            listed = found.get(key)
            for activity in listed if isinstance(listed, list) else [listed]:
                if isinstance(activity, Mapping) and isinstance(activity.get("id"), str):
                    yield activity


def definitions_in(
    statements: Iterable[Mapping[str, Any]],
) -> dict[str, dict[str, Any] | None]:
    """Every activity the statements name, by id, with its definitions merged in order."""
    found: dict[str, dict[str, Any] | None] = {}
    for statement in statements:
        for activity in _activities(statement):
            definition = activity.get("definition")
            received = definition if isinstance(definition, Mapping) else None
            activity_id = str(activity["id"])
            found[activity_id] = merge_definition(found.get(activity_id), received)
    return found


def activity_object(activity_id: str, definition: Mapping[str, Any] | None) -> dict[str, Any]:
    """The Activity object the Activities resource answers: its id and, if one is known, its
    canonical definition (an unknown activity still gets an Activity, 2.5.s2.b1)."""
    found: dict[str, Any] = {"objectType": "Activity", "id": activity_id}
    if definition:
        found["definition"] = dict(definition)
    return found
