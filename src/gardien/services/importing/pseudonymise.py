"""Pseudonymisation at the door: a stored xAPI statement names its learner by pseudonym only.

DESIGN principle 8: activity refers to learners by an internal identifier, never by e-mail or
name, so that identity lives in one place. The imported statement's ``actor`` is replaced by an
account on our home page whose name is the learner's pseudonym; the other agents a statement can
carry (authority, instructor, team, context agents and groups, an agent as object) are dropped,
and a statement that still holds the learner's address or full name is refused.
"""

from __future__ import annotations

from typing import Any

import orjson

from gardien.domain.xapi.identifiers import mbox_sha1sum
from gardien.services.importing.document import ResultIn, StatementIn

# Places of the xAPI statement (1.0.3 and 2.0) where people other than the actor are named.
_CONTEXT_AGENTS = ("instructor", "team", "contextAgents", "contextGroups")
_PEOPLE = frozenset({"Agent", "Group"})


def actor(home_page: str, pseudonym: str) -> dict[str, Any]:
    """The xAPI actor standing for a learner: an account on ``home_page`` named by pseudonym."""
    return {"objectType": "Agent", "account": {"homePage": home_page, "name": pseudonym}}


def _result(result: ResultIn) -> dict[str, Any]:
    brief: dict[str, Any] = {}
    if result.success is not None:
        brief["success"] = result.success
    if result.completion is not None:
        brief["completion"] = result.completion
    if result.score_scaled is not None:
        brief["score"] = {"scaled": result.score_scaled}
    return brief


def brief_statement(statement: StatementIn, agent: dict[str, Any]) -> dict[str, Any]:
    """The xAPI statement made of a brief record's fields, with ``agent`` as its actor."""
    document: dict[str, Any] = {
        "id": statement.id,
        "actor": agent,
        "verb": {"id": statement.verb},
        "object": {"objectType": "Activity", "id": statement.object},
        "timestamp": statement.timestamp.isoformat(),
    }
    if statement.result is not None:
        document["result"] = _result(statement.result)
    return document


class StatementEncoder:
    """Writes stored statements as JSON text, fast enough for millions of them.

    A brief statement (no ``raw``) is assembled from JSON fragments: the same verbs, results
    and actors recur across a file, so their text is made once; the id (a checked UUID) and
    the timestamp (ISO 8601) need no escaping. The result equals ``orjson.dumps`` of
    :func:`brief_statement` (a unit test holds it to that).
    """

    # Bound on the activity ids remembered: a file may name millions of distinct activities.
    MAX_OBJECTS = 100_000

    def __init__(self) -> None:
        self._verbs: dict[str, str] = {}
        self._objects: dict[str, str] = {}
        self._results: dict[tuple[bool | None, bool | None, float | None], str] = {}

    def encode(
        self, statement: StatementIn, agent: dict[str, Any], agent_json: str, timestamp: str
    ) -> str:
        """The statement to store, as JSON text.

        ``agent_json`` is ``agent`` as JSON, ``timestamp`` the statement's ``isoformat()``.
        """
        if statement.raw is not None:
            return orjson.dumps(scrubbed_statement(statement, agent)).decode()
        verb = self._verbs.get(statement.verb)
        if verb is None:
            verb = self._verbs[statement.verb] = orjson.dumps(statement.verb).decode()
        target = self._objects.get(statement.object)
        if target is None:
            if len(self._objects) >= self.MAX_OBJECTS:
                self._objects.clear()
            target = self._objects[statement.object] = orjson.dumps(statement.object).decode()
        result = statement.result
        tail = ""
        if result is not None:
            key = (result.success, result.completion, result.score_scaled)
            tail = self._results.get(key, "")
            if not tail:
                tail = self._results[key] = ',"result":' + orjson.dumps(_result(result)).decode()
        return (
            f'{{"id":"{statement.id}","actor":{agent_json},"verb":{{"id":{verb}}},'
            f'"object":{{"objectType":"Activity","id":{target}}},'
            f'"timestamp":"{timestamp}"{tail}}}'
        )


def scrubbed_statement(statement: StatementIn, agent: dict[str, Any]) -> dict[str, Any]:
    """The given ``raw`` statement with ``agent`` as actor and every other person removed."""
    raw = statement.raw or {}
    document = {key: value for key, value in raw.items() if key != "authority"}
    brief = brief_statement(statement, agent)
    document["id"] = statement.id
    document["actor"] = agent
    for key in ("verb", "object", "timestamp", "result"):
        if key in brief:
            document.setdefault(key, brief[key])
    obj = document.get("object")
    if isinstance(obj, dict) and (obj.get("objectType") in _PEOPLE or "actor" in obj):
        # An agent, a group or a sub-statement as object names people: keep the activity only.
        document["object"] = brief["object"]
    context = document.get("context")
    if isinstance(context, dict):
        document["context"] = {k: v for k, v in context.items() if k not in _CONTEXT_AGENTS}
    return document


def leaks(text: str, *, email: str, full_name: str | None) -> str | None:
    """What of the learner's identity ``text`` still holds ("e-mail address"...), or None."""
    lowered = text.lower()
    if email in lowered:
        return "e-mail address"
    if mbox_sha1sum(email) in lowered:
        return "hashed e-mail address (mbox_sha1sum)"
    if full_name and full_name.lower() in lowered:
        return "full name"
    return None
