"""Statements in the one shape the LRS stores and returns: each kind of context activity an array.

xAPI 0.95 sent a single Activity as ``contextActivities.parent`` (or grouping, category, other);
1.0.x accepts that and says the LRS returns it as an array of one (Data 2.4.6.2.s4.b2), so a
client reading statements back only ever sees arrays. Stored that way too, queries and
comparisons meet one shape. A sub-statement's context is normalised the same way.

Plain Python: no I/O. Copies only what changes: a statement already in shape is returned as is.
"""

from __future__ import annotations

from typing import Any

__all__ = ["normalised"]


def normalised(statement: dict[str, Any]) -> dict[str, Any]:
    """``statement`` with every context activity kind an array (its sub-statement's too)."""
    result = statement
    context = statement.get("context")
    shaped = _context(context)
    if shaped is not context:
        result = {**result, "context": shaped}
    target = statement.get("object")
    if isinstance(target, dict) and target.get("objectType") == "SubStatement":
        inner = normalised(target)
        if inner is not target:
            result = {**result, "object": inner}
    return result


def _context(context: object) -> object:
    if not isinstance(context, dict):
        return context
    activities = context.get("contextActivities")
    if not isinstance(activities, dict) or all(
        isinstance(value, list) for value in activities.values()
    ):
        return context
    arrays = {
        kind: value if isinstance(value, list) else [value] for kind, value in activities.items()
    }
    return {**context, "contextActivities": arrays}
