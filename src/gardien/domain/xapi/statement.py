"""The checks of a statement and of what it holds (xAPI 1.0.3 Data 2.4; 2.0 context agents).

One table per kind of object maps each property it may have to its check (at the end of the
module); ``statement`` runs the statement's table, then the rules that tie properties together:
actor, verb and object are required, context revision and platform need an Activity as object,
a voiding statement targets a StatementRef. Internal to ``gardien.domain.xapi``: the API is in
``validate``.
"""

from __future__ import annotations

from typing import Any

from gardien.domain.xapi.agents import (
    agent,
    agent_or_group,
    authority,
    group,
    only_agent,
    only_group,
)
from gardien.domain.xapi.checks import (
    Check,
    as_array,
    as_object,
    boolean,
    duration,
    each,
    extensions,
    fail,
    filled,
    iri,
    iri_list,
    language_map,
    language_tag,
    length,
    literal,
    media_type,
    number,
    properties,
    required,
    scaled,
    sha2,
    skip,
    string,
    timestamp,
    uuid,
    version,
    wrong_type,
)

VOIDED = "http://adlnet.gov/expapi/verbs/voided"

# --- objects (Data 2.4.4) ---------------------------------------------------------------------

_INTERACTION_LISTS: dict[str, frozenset[str]] = {
    "true-false": frozenset(),
    "choice": frozenset({"choices"}),
    "fill-in": frozenset(),
    "long-fill-in": frozenset(),
    "matching": frozenset({"source", "target"}),
    "performance": frozenset({"steps"}),
    "sequencing": frozenset({"choices"}),
    "likert": frozenset({"scale"}),
    "numeric": frozenset(),
    "other": frozenset(),
}
_COMPONENT_LISTS = ("choices", "scale", "source", "target", "steps")


def _interaction_type(value: object) -> None:
    if not isinstance(value, str) or value not in _INTERACTION_LISTS:
        fail("", "must be one of " + ", ".join(_INTERACTION_LISTS))


def _strings(value: object) -> None:
    each(as_array(value, "an array of strings"), string)


def _component(value: object) -> None:
    data = as_object(value, "an interaction component")
    properties(data, _COMPONENT, "is not a property of an interaction component (id, description)")
    required(data, ("id",), " in an interaction component")


def _components(value: object) -> None:
    items = as_array(value, "an array of interaction components")
    each(items, _component)
    seen: set[str] = set()
    for index, item in enumerate(items):
        if item["id"] in seen:
            fail(f"[{index}].id", "repeats the id of another component of the list")
        seen.add(item["id"])


def _definition(value: object) -> None:
    # Empty is allowed: every property of a definition is optional (Data 2.4.4.1.s2, the
    # conformance suite's "definition missing all properties"), unlike XAPI-00001's other objects.
    data = as_object(value, "an Activity definition")
    properties(data, _DEFINITION, "is not a property of an Activity definition")
    interaction = data.get("interactionType")
    if interaction is None:
        for name in ("correctResponsesPattern", *_COMPONENT_LISTS):
            if name in data:
                fail(name, "needs an interactionType in the same definition")
        return
    lists = _INTERACTION_LISTS[interaction]
    for name in _COMPONENT_LISTS:
        if name in data and name not in lists:
            fail(name, f"is not a component list of {interaction} interactions")


def _activity(data: dict[str, Any]) -> None:
    properties(data, _ACTIVITY, "is not a property of an Activity")
    if "id" not in data:
        fail("id", "is required: an Activity is identified by an IRI")


def _statement_ref(data: dict[str, Any]) -> None:
    properties(data, _STATEMENT_REF, "is not a property of a StatementRef (objectType, id)")
    if "id" not in data:
        fail("id", "is required: a StatementRef names a statement by its id")


def _target(value: object, *, nested: bool) -> None:
    data = as_object(value, "an Activity, Agent, Group, StatementRef or SubStatement")
    kind = data.get("objectType", "Activity")
    if kind == "Activity":
        _activity(data)
    elif kind == "StatementRef":
        _statement_ref(data)
    elif kind == "Agent":
        agent(data)
    elif kind == "Group":
        group(data)
    elif kind == "SubStatement":
        if nested:
            fail("objectType", "must not be SubStatement: a SubStatement cannot hold another")
        statement(data, nested=True)
    else:
        wrong_type(kind, "Activity, Agent, Group, StatementRef or SubStatement")


def _statement_object(value: object) -> None:
    _target(value, nested=False)


def _substatement_object(value: object) -> None:
    _target(value, nested=True)


def _verb(value: object) -> None:
    data = as_object(value, "a Verb")
    properties(data, _VERB, "is not a property of a Verb (id, display)")
    if "id" not in data:
        fail("id", "is required: a Verb is identified by an IRI")


# --- result and context (Data 2.4.5, 2.4.6) ---------------------------------------------------


def _score(value: object) -> None:
    data = filled(value, "a score")
    properties(data, _SCORE, "is not a property of a score (scaled, raw, min, max)")
    low = data.get("min")
    high = data.get("max")
    if low is not None and high is not None and not low < high:
        fail("max", "must be greater than min")
    raw = data.get("raw")
    if raw is not None:
        if low is not None and raw < low:
            fail("raw", "must not be below min")
        if high is not None and raw > high:
            fail("raw", "must not be above max")


def _result(value: object) -> None:
    properties(filled(value, "a result"), _RESULT, "is not a property of a result")


def _context_activity(value: object) -> None:
    data = as_object(value, "an Activity")
    kind = data.get("objectType", "Activity")
    if kind != "Activity":
        wrong_type(kind, "Activity")
    _activity(data)


def _context_activities_of_a_kind(value: object) -> None:
    # One Activity, as 0.95 sent them, or an array of them (Data 2.4.6.2.s4.b2).
    if isinstance(value, list):
        each(value, _context_activity)
    else:
        _context_activity(value)


def _context_activities(value: object) -> None:
    properties(
        filled(value, "a map of context activities"),
        _CONTEXT_ACTIVITIES,
        "is not a kind of context activity (parent, grouping, category, other)",
    )


def _context_statement(value: object) -> None:
    data = as_object(value, "a StatementRef")
    kind = data.get("objectType")
    if kind != "StatementRef":
        wrong_type(kind, "StatementRef")
    _statement_ref(data)


def _context_agent(value: object) -> None:
    data = as_object(value, "a contextAgent")
    properties(data, _CONTEXT_AGENT, "is not a property of a contextAgent")
    required(data, ("objectType", "agent"), " in a contextAgent")


def _context_group(value: object) -> None:
    data = as_object(value, "a contextGroup")
    properties(data, _CONTEXT_GROUP, "is not a property of a contextGroup")
    required(data, ("objectType", "group"), " in a contextGroup")


def _context_agents(value: object) -> None:
    each(as_array(value, "an array of contextAgent objects"), _context_agent)


def _context_groups(value: object) -> None:
    each(as_array(value, "an array of contextGroup objects"), _context_group)


def _context(value: object) -> None:
    properties(filled(value, "a context"), _CONTEXT, "is not a property of a context")


# --- attachments (Data 2.4.11) and the statement itself ----------------------------------------


def _attachment(value: object) -> None:
    data = as_object(value, "an attachment")
    properties(data, _ATTACHMENT, "is not a property of an attachment")
    required(data, ("usageType", "display", "contentType", "length", "sha2"), " in an attachment")


def _attachments(value: object) -> None:
    each(as_array(value, "an array of attachments"), _attachment)


def _not_in_substatement(value: object) -> None:
    fail("", "must not be used in a SubStatement (Data 2.4.4.3.s8.b3)")


def statement(data: dict[str, Any], *, nested: bool) -> None:
    """Check a statement, or with ``nested`` a SubStatement (the object of another statement)."""
    if nested:
        properties(data, _SUBSTATEMENT, "is not a property of a SubStatement")
    else:
        properties(data, _STATEMENT, "is not a property of a statement")
    required(data, ("actor", "verb", "object"), "")
    target = data["object"]
    kind = target.get("objectType", "Activity")
    context = data.get("context")
    if context is not None and kind != "Activity":
        for name in ("revision", "platform"):
            if name in context:
                fail(
                    f"context.{name}",
                    f"must only be used when the object is an Activity (this one: {kind})",
                )
    if not nested and data["verb"]["id"] == VOIDED and kind != "StatementRef":
        fail("object.objectType", "must be StatementRef in a voiding statement (verb voided)")


# --- the tables: one per kind of object, property -> check ------------------------------------

_VERB: dict[str, Check] = {"id": iri, "display": language_map}
_COMPONENT: dict[str, Check] = {"id": string, "description": language_map}
_DEFINITION: dict[str, Check] = {
    "name": language_map,
    "description": language_map,
    "type": iri,
    "moreInfo": iri,
    "extensions": extensions,
    "interactionType": _interaction_type,
    "correctResponsesPattern": _strings,
    **dict.fromkeys(_COMPONENT_LISTS, _components),
}
_ACTIVITY: dict[str, Check] = {"objectType": skip, "id": iri, "definition": _definition}
_STATEMENT_REF: dict[str, Check] = {"objectType": skip, "id": uuid}
_SCORE: dict[str, Check] = {"scaled": scaled, "raw": number, "min": number, "max": number}
_RESULT: dict[str, Check] = {
    "score": _score,
    "success": boolean,
    "completion": boolean,
    "response": string,
    "duration": duration,
    "extensions": extensions,
}
_CONTEXT_ACTIVITIES: dict[str, Check] = dict.fromkeys(
    ("parent", "grouping", "category", "other"), _context_activities_of_a_kind
)
# xAPI 2.0 (IEEE 9274.1.1) adds contextAgents and contextGroups; accepted whatever the version.
_CONTEXT_AGENT: dict[str, Check] = {
    "objectType": literal("contextAgent"),
    "agent": only_agent,
    "relevantTypes": iri_list,
}
_CONTEXT_GROUP: dict[str, Check] = {
    "objectType": literal("contextGroup"),
    "group": only_group,
    "relevantTypes": iri_list,
}
_CONTEXT: dict[str, Check] = {
    "registration": uuid,
    "instructor": agent_or_group,
    "team": only_group,
    "contextActivities": _context_activities,
    "revision": string,
    "platform": string,
    "language": language_tag,
    "statement": _context_statement,
    "extensions": extensions,
    "contextAgents": _context_agents,
    "contextGroups": _context_groups,
}
_ATTACHMENT: dict[str, Check] = {
    "usageType": iri,
    "display": language_map,
    "description": language_map,
    "contentType": media_type,
    "length": length,
    "sha2": sha2,
    "fileUrl": iri,
}
_STATEMENT: dict[str, Check] = {
    "id": uuid,
    "actor": agent_or_group,
    "verb": _verb,
    "object": _statement_object,
    "result": _result,
    "context": _context,
    "timestamp": timestamp,
    "stored": timestamp,
    "authority": authority,
    "version": version,
    "attachments": _attachments,
}
_SUBSTATEMENT: dict[str, Check] = {
    **_STATEMENT,
    "objectType": skip,
    "object": _substatement_object,
    **dict.fromkeys(("id", "stored", "version", "authority"), _not_in_substatement),
}
