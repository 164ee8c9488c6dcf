"""The formats a client may ask statements in (xAPI 1.0.3 Communication 2.1.3, ``format``).

- ``exact``: as stored (pseudonymised at the door, docs/xapi.md).
- ``ids``: only what identifies each thing: an agent or identified group by its identifier, an
  anonymous group by its members (each by theirs), an Activity and a Verb by their id.
- ``canonical``: every language map of an Activity definition (``name``, ``description``, the
  descriptions of interaction components) and every Verb's ``display`` reduced to the one
  language that best matches the request's ``Accept-Language`` (RFC 2616 14.4, applied to each
  map on its own, Communication 2.1.3.s4). gardien keeps no definition of an Activity apart from
  the statements that carry it: the canonical definition is the statement's own, in one language.

Whatever the format, context activities are arrays (:mod:`normalise`), also in statements
stored before they were normalised at the door.

Plain Python: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

from gardien.domain.xapi.normalise import normalised

__all__ = ["FORMATS", "Accepted", "Format", "accepted_languages", "best_language", "in_format"]

Format = Literal["exact", "ids", "canonical"]
FORMATS: tuple[Format, ...] = ("exact", "ids", "canonical")
# The ranges of an Accept-Language header (lower case) with their quality, best first.
Accepted = tuple[tuple[str, float], ...]

_IDENTIFIERS = ("mbox", "mbox_sha1sum", "openid", "account")
_COMPONENT_LISTS = ("choices", "scale", "source", "target", "steps")
_CONTEXT_PEOPLE = ("instructor", "team")


def accepted_languages(header: str | None) -> Accepted:
    """The language ranges of an ``Accept-Language`` header, best first (stable for equal
    qualities); malformed entries are left out. A range of quality 0 is kept: it refuses the
    tags it is the longest match of (``en;q=0.5, en-GB;q=0``)."""
    ranges: list[tuple[str, float]] = []
    for entry in (header or "").split(","):
        tag, _, parameters = entry.partition(";")
        tag = tag.strip().lower()
        if not tag or (tag != "*" and not all(part.isalnum() for part in tag.split("-"))):
            continue
        quality = 1.0
        parameter = parameters.strip()
        if parameter:
            name, _, value = parameter.partition("=")
            if name.strip().lower() != "q":
                continue
            try:
                quality = float(value)
            except ValueError:
                continue
            if not 0 <= quality <= 1:  # also NaN
                continue
        ranges.append((tag, quality))
    return tuple(sorted(ranges, key=lambda item: -item[1]))


def _quality(tag: str, accepted: Accepted) -> float:
    # The quality of the longest range matching the tag: itself, or a prefix of it followed by
    # "-", or "*" (which matches what no other range does).
    best_length, quality = -1, 0.0
    lowered = tag.lower()
    for language, value in accepted:
        if language == "*":
            length = 0
        elif lowered == language or lowered.startswith(language + "-"):
            length = len(language)
        else:
            continue
        if length > best_length:
            best_length, quality = length, value
    return quality


def best_language(tags: list[str], accepted: Accepted) -> str | None:
    """The tag among ``tags`` (a language map's keys, in order) to return for ``accepted``.

    The most acceptable one by RFC 2616's rule; when none is acceptable, one of the same
    primary language as the best range that has one (``en-GB`` asked, ``en-US`` held); failing
    that, the first: a map must still give one language (Communication 2.1.3.s4.b1).
    """
    if not tags:
        return None
    best, best_quality = tags[0], 0.0
    for tag in tags:
        quality = _quality(tag, accepted)
        if quality > best_quality:
            best, best_quality = tag, quality
    if best_quality > 0:
        return best
    for language, quality in accepted:
        if quality == 0 or language == "*":
            continue
        primary = language.split("-")[0]
        for tag in tags:
            if tag.lower().split("-")[0] == primary:
                return tag
    return tags[0]


def in_format(statement: dict[str, Any], format: Format, accepted: Accepted) -> dict[str, Any]:
    """``statement`` (as stored) in ``format``; ``accepted`` only matters for canonical."""
    shaped = normalised(statement)
    if format == "ids":
        return _ids(shaped)
    if format == "canonical":
        return _canonical(shaped, accepted)
    return shaped


# --- canonical ---------------------------------------------------------------------------------


def _one_language(value: object, accepted: Accepted) -> object:
    if not isinstance(value, Mapping) or len(value) < 2:
        return value
    tag = best_language(list(value), accepted)
    return {tag: value[tag]} if tag is not None else value


def _canonical_activity(activity: object, accepted: Accepted) -> object:
    if not isinstance(activity, Mapping):
        return activity
    definition = activity.get("definition")
    if not isinstance(definition, Mapping):
        return activity
    reduced = dict(definition)
    for key in ("name", "description"):
        if key in reduced:
            reduced[key] = _one_language(reduced[key], accepted)
    for key in _COMPONENT_LISTS:
        components = reduced.get(key)
        if isinstance(components, list):
            reduced[key] = [
                {**item, "description": _one_language(item["description"], accepted)}
                if isinstance(item, Mapping) and "description" in item
                else item
                for item in components
            ]
    return {**activity, "definition": reduced}


def _canonical(statement: Mapping[str, Any], accepted: Accepted) -> dict[str, Any]:
    copy = dict(statement)
    verb = copy.get("verb")
    if isinstance(verb, Mapping) and "display" in verb:
        copy["verb"] = {**verb, "display": _one_language(verb["display"], accepted)}
    target = copy.get("object")
    if isinstance(target, Mapping):
        kind = target.get("objectType", "Activity")
        if kind == "Activity":
            copy["object"] = _canonical_activity(target, accepted)
        elif kind == "SubStatement":
            copy["object"] = _canonical(target, accepted)
    context = copy.get("context")
    if isinstance(context, Mapping):
        copy["context"] = _context_activities(context, lambda a: _canonical_activity(a, accepted))
    return copy


# --- ids ---------------------------------------------------------------------------------------


def _agent_ids(agent: object) -> object:
    if not isinstance(agent, Mapping):
        return agent
    kind = agent.get("objectType", "Agent")
    reduced: dict[str, Any] = {"objectType": kind}
    for key in _IDENTIFIERS:
        if key in agent:
            reduced[key] = agent[key]
            return reduced
    members = agent.get("member")
    if kind == "Group" and isinstance(members, list):
        reduced["member"] = [_agent_ids(member) for member in members]
    return reduced


def _id_only(thing: object) -> object:
    if isinstance(thing, Mapping) and "id" in thing:
        return {"id": thing["id"]}
    return thing


def _ids(statement: Mapping[str, Any]) -> dict[str, Any]:
    copy = dict(statement)
    for key in ("actor", "authority"):
        if key in copy:
            copy[key] = _agent_ids(copy[key])
    if "verb" in copy:
        copy["verb"] = _id_only(copy["verb"])
    target = copy.get("object")
    if isinstance(target, Mapping):
        kind = target.get("objectType", "Activity")
        if kind == "Activity":
            copy["object"] = _id_only(target)
        elif kind in ("Agent", "Group"):
            copy["object"] = _agent_ids(target)
        elif kind == "SubStatement":
            copy["object"] = _ids(target)
    context = copy.get("context")
    if isinstance(context, Mapping):
        reduced = _context_activities(context, _id_only)
        for key in _CONTEXT_PEOPLE:
            if key in reduced:
                reduced[key] = _agent_ids(reduced[key])
        # xAPI 2.0: contextAgents [{"agent": ...}], contextGroups [{"group": ...}].
        for key, inner in (("contextAgents", "agent"), ("contextGroups", "group")):
            entries = reduced.get(key)
            if isinstance(entries, list):
                reduced[key] = [
                    {**entry, inner: _agent_ids(entry[inner])}
                    if isinstance(entry, Mapping) and inner in entry
                    else entry
                    for entry in entries
                ]
        copy["context"] = reduced
    return copy


def _context_activities(
    context: Mapping[str, Any], change: Callable[[object], object]
) -> dict[str, Any]:
    copy = dict(context)
    activities = copy.get("contextActivities")
    if isinstance(activities, Mapping):
        copy["contextActivities"] = {
            kind: [change(item) for item in items] if isinstance(items, list) else items
            for kind, items in activities.items()
        }
    return copy
