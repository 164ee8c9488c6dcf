"""Whether two statements are the same statement (xAPI 1.0.3 Data 2.3.1, "Statement Comparison").

The store uses it when a statement id it already holds comes again: the same statement is
answered as stored (204 or 200), a different one with 409 (Communication 2.1.1.s2.b3). The rule
is that differences which the exceptions to immutability could have caused are ignored, and all
others count. Each statement is reduced to a key holding only what counts, in a normal form:

- ``stored``, ``authority`` and ``version`` are ignored: the store sets or overwrites them. The
  ids and the timestamps count only when both statements have one (a store assigns them when
  they are missing); ids compare in any case, timestamps as instants to the millisecond (a
  store may return another time zone and keep only milliseconds, Data 4.5.s1.b5 and b7).
- Activity definitions and the Verb's ``display`` are not part of a statement: an Activity
  counts by its id, a Verb by its id.
- The members of a Group are an unordered list; ``objectType`` counts with its default
  (``Activity`` for an object, ``Agent`` for an actor); a single context activity equals an
  array of that one activity (the store returns arrays, Data 2.4.6.2.s4.b3).
- Case does not count in an e-mail domain, a SHA-1, a UUID, a language tag or a media type's
  ``type/subtype``; it counts everywhere else, IRIs included (RFC 3987 simple comparison).
- A duration is a string, compared without the digits beyond the hundredth of a second
  (Data 4.6.s1.b5): ``PT1.5S``, ``PT1.50S`` and ``PT1.503S`` are the same.
- Extension values are compared as JSON: ``true`` is not ``1``, ``1`` is ``1.0``.
- Attachments count by their metadata (usage, display, type, length, SHA-2, URL); their
  content is not part of the statement, and the SHA-2 already stands for it.

Both statements are expected to be valid (``validate_statement``). Plain Python: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from gardien.domain.xapi.formats import parse_timestamp

__all__ = ["statements_equivalent"]

_MILLISECOND = timedelta(milliseconds=1)
# The seconds of a duration with a fraction: the fraction is cut to two digits.
_SECONDS_FRACTION = re.compile(r"([0-9]+)[.,]([0-9]*)S\Z")


def statements_equivalent(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Whether ``a`` and ``b`` are the same statement under the spec's comparison rules.

    Both are validated statements; one may come from the store, with the ``stored``,
    ``authority``, ``version`` and ``timestamp`` it added and its arrays of context activities.
    """
    id_a, id_b = a.get("id"), b.get("id")
    if id_a is not None and id_b is not None and id_a.lower() != id_b.lower():
        return False
    time_a, time_b = a.get("timestamp"), b.get("timestamp")
    # Within a millisecond: a store may truncate or round to it.
    if (
        time_a is not None
        and time_b is not None
        and abs(parse_timestamp(time_a) - parse_timestamp(time_b)) >= _MILLISECOND
    ):
        return False
    return _statement_key(a) == _statement_key(b)


def _instant_key(text: str) -> datetime:
    instant = parse_timestamp(text)
    return instant - timedelta(microseconds=instant.microsecond % 1000)


def _statement_key(s: Mapping[str, Any], *, nested: bool = False) -> dict[str, object]:
    key: dict[str, object] = {
        "actor": _actor_key(s["actor"]),
        "verb": s["verb"]["id"],
        "object": _object_key(s["object"]),
    }
    if "result" in s:
        key["result"] = _result_key(s["result"])
    if "context" in s:
        key["context"] = _context_key(s["context"])
    if "attachments" in s:
        key["attachments"] = tuple(_attachment_key(item) for item in s["attachments"])
    if nested and "timestamp" in s:
        # A SubStatement's timestamp is the provider's alone: the store never sets it.
        key["timestamp"] = _instant_key(s["timestamp"])
    return key


def _identifier_key(agent: Mapping[str, Any]) -> tuple[str, object] | None:
    if "mbox" in agent:
        local, _, domain = agent["mbox"].rpartition("@")
        return ("mbox", f"{local}@{domain.lower()}")
    if "mbox_sha1sum" in agent:
        return ("mbox_sha1sum", agent["mbox_sha1sum"].lower())
    if "openid" in agent:
        return ("openid", agent["openid"])
    if "account" in agent:
        return ("account", (agent["account"]["homePage"], agent["account"]["name"]))
    return None


def _agent_key(agent: Mapping[str, Any]) -> tuple[object, ...]:
    return ("Agent", agent.get("name"), _identifier_key(agent))


def _actor_key(actor: Mapping[str, Any]) -> tuple[object, ...]:
    if actor.get("objectType", "Agent") == "Agent":
        return _agent_key(actor)
    members = sorted((_agent_key(member) for member in actor.get("member", ())), key=repr)
    return ("Group", actor.get("name"), _identifier_key(actor), tuple(members))


def _object_key(target: Mapping[str, Any]) -> object:
    kind = target.get("objectType", "Activity")
    if kind == "Activity":
        return ("Activity", target["id"])
    if kind == "StatementRef":
        return ("StatementRef", target["id"].lower())
    if kind == "SubStatement":
        return ("SubStatement", _statement_key(target, nested=True))
    return _actor_key(target)


def _duration_key(duration: str) -> str:
    match = _SECONDS_FRACTION.search(duration)
    if match is None:
        return duration
    fraction = match.group(2)[:2].rstrip("0")
    seconds = f"{match.group(1)}.{fraction}S" if fraction else f"{match.group(1)}S"
    return duration[: match.start()] + seconds


def _result_key(result: Mapping[str, Any]) -> dict[str, object]:
    key: dict[str, object] = {
        name: result[name]
        for name in ("score", "success", "completion", "response")
        if name in result
    }
    if "duration" in result:
        key["duration"] = _duration_key(result["duration"])
    if "extensions" in result:
        key["extensions"] = _Json(result["extensions"])
    return key


def _activities_key(value: Any) -> tuple[str, ...]:
    activities = value if isinstance(value, list) else [value]
    return tuple(activity["id"] for activity in activities)


def _context_key(context: Mapping[str, Any]) -> dict[str, object]:
    key: dict[str, object] = {}
    for name, value in context.items():
        if name == "registration":
            key[name] = value.lower()
        elif name in ("instructor", "team"):
            key[name] = _actor_key(value)
        elif name == "contextActivities":
            key[name] = {kind: _activities_key(items) for kind, items in value.items()}
        elif name == "language":
            key[name] = value.lower()
        elif name == "statement":
            key[name] = value["id"].lower()
        elif name == "extensions":
            key[name] = _Json(value)
        elif name == "contextAgents":
            key[name] = tuple(
                (_agent_key(item["agent"]), tuple(item.get("relevantTypes", ()))) for item in value
            )
        elif name == "contextGroups":
            key[name] = tuple(
                (_actor_key(item["group"]), tuple(item.get("relevantTypes", ()))) for item in value
            )
        else:  # revision, platform
            key[name] = value
    return key


def _language_map_key(value: Mapping[str, str]) -> dict[str, str]:
    return {tag.lower(): text for tag, text in value.items()}


def _attachment_key(attachment: Mapping[str, Any]) -> tuple[object, ...]:
    media_type, _, parameters = attachment["contentType"].partition(";")
    return (
        attachment["usageType"],
        _language_map_key(attachment["display"]),
        _language_map_key(attachment.get("description", {})),
        (media_type.strip().lower(), parameters.strip()),
        attachment["length"],
        attachment["sha2"].lower(),
        attachment.get("fileUrl"),
    )


class _Json:
    """A JSON value (an extension's) that equals another as JSON says: ``true`` is not ``1``."""

    __slots__ = ("value",)
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, value: object) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Json) and _json_equal(self.value, other.value)


def _json_equal(a: object, b: object) -> bool:
    # With a stack rather than recursion: extension values may nest deeper than Python recurses.
    pending = [(a, b)]
    while pending:
        x, y = pending.pop()
        if isinstance(x, bool) or isinstance(y, bool):
            if x is not y:
                return False
        elif isinstance(x, dict):
            if not isinstance(y, dict) or x.keys() != y.keys():
                return False
            pending.extend((x[name], y[name]) for name in x)
        elif isinstance(x, list):
            if not isinstance(y, list) or len(x) != len(y):
                return False
            pending.extend(zip(x, y, strict=True))
        elif isinstance(y, dict | list) or x != y:
            return False
    return True
