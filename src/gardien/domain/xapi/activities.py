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

from collections.abc import Iterable, Mapping
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


def _activities(statement: Mapping[str, Any], found: list[dict[str, Any]]) -> None:
    """Append to ``found`` the activities ``statement`` names. Statements are parsed JSON:
    ``dict`` checks, which cost a fraction of ``Mapping``'s, on the ingest path."""
    target = statement.get("object")
    if isinstance(target, dict):
        kind = target.get("objectType", "Activity")
        if kind == "Activity" and isinstance(target.get("id"), str):
            found.append(target)
        elif kind == "SubStatement":
            _activities(target, found)
    context = statement.get("context")
    listed = context.get("contextActivities") if isinstance(context, dict) else None
    if isinstance(listed, dict):
        for key in CONTEXT_ACTIVITIES:
            value = listed.get(key)
            for activity in value if isinstance(value, list) else (value,):
                if isinstance(activity, dict) and isinstance(activity.get("id"), str):
                    found.append(activity)


def definitions_in(
    statements: Iterable[Mapping[str, Any]],
) -> dict[str, dict[str, Any] | None]:
    """Every activity the statements name, by id, with its definitions merged in order."""
    named: list[dict[str, Any]] = []
    for statement in statements:
        _activities(statement, named)
    found: dict[str, dict[str, Any] | None] = {}
    for activity in named:
        activity_id = activity["id"]
        definition = activity.get("definition")
        if not isinstance(definition, dict) or not definition:
            found.setdefault(activity_id, None)  # nothing to merge
        elif activity_id not in found:
            found[activity_id] = definition  # copied when merged into, never changed in place
        elif found[activity_id] != definition:
            found[activity_id] = merge_definition(found[activity_id], definition)
    return found


def activity_object(activity_id: str, definition: Mapping[str, Any] | None) -> dict[str, Any]:
    """The Activity object the Activities resource answers: its id and, if one is known, its
    canonical definition (an unknown activity still gets an Activity, 2.5.s2.b1)."""
    found: dict[str, Any] = {"objectType": "Activity", "id": activity_id}
    if definition:
        found["definition"] = dict(definition)
    return found
