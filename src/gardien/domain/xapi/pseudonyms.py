"""Pseudonyms of every person an xAPI statement or document names (docs/xapi.md).

gardien stores no agent as it arrives. Wherever an agent stands — the actor, a group's members,
an agent or group as object, a sub-statement's actor, object and context, the context's
instructor and team, xAPI 2.0's context agents and groups, the authority, the agent of a State
or Agent Profile document — it is replaced by an account that names nobody:

- an agent already named by a pseudonym (an account on gardien's home page named by a UUID,
  which is how a learner's pseudonym is written, or an account on its pseudonym page named by
  a keyed digest) is kept as that account; any other account on those pages is pseudonymised
  like a foreign one, so that no name a client invents there is stored in clear;
- anyone else becomes an account on ``<home>/pseudonyms`` whose name is a keyed digest
  (HMAC-SHA-256 under the server key, :class:`~gardien.domain.lookup.SubjectLookup`) of the
  agent's identifier. ``mbox`` and ``mbox_sha1sum`` are one identifier (the digest of the
  ``mailto:`` IRI), so both ways of naming one person give one pseudonym.

The same agent always gets the same pseudonym under one key, so a client's query by agent still
finds its statements (its filter is pseudonymised the same way, under every key still in use),
and a learner who later appears with that address is linked to what was stored before. Names
(``name``) are dropped: they identify, and xAPI never needs them to match an agent.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

from gardien.domain.lookup import SubjectLookup
from gardien.domain.xapi.formats import is_uuid
from gardien.domain.xapi.identifiers import identifier_text, mbox_sha1sum

PSEUDONYM_PATH = "/pseudonyms"
# The name an agent is given where an erasure removed it from someone else's statement.
ERASED_NAME = "erased"
# A keyed pseudonym, as SubjectLookup writes it: key id, colon, HMAC-SHA-256 in hex.
_KEYED = re.compile(r"[0-9a-f]{8}:[0-9a-f]{64}")
# Where agents stand in a statement (and in a sub-statement, whose context has them too).
CONTEXT_PEOPLE = ("instructor", "team")
# Every key of a context that may hold an agent (xAPI 2.0 adds contextAgents, contextGroups).
_CONTEXT_AGENT_KEYS = (*CONTEXT_PEOPLE, "contextAgents", "contextGroups")


def _is_map(value: object) -> TypeGuard[Mapping[str, Any]]:
    # Parsed JSON gives dicts: the plain check first spares the ABC's slower one (per agent,
    # per statement, on the ingest's path).
    return isinstance(value, dict) or (value is not None and isinstance(value, Mapping))


def agent_identifier(agent: Mapping[str, Any]) -> str | None:
    """The identifier of an agent or identified group, as one line of text; None when it has
    none (an anonymous group). ``mbox`` is written as its ``mbox_sha1sum``."""
    mbox = agent.get("mbox")
    if isinstance(mbox, str):
        return identifier_text("sha1", mbox_sha1sum(mbox.removeprefix("mailto:")))
    digest = agent.get("mbox_sha1sum")
    if isinstance(digest, str):
        return identifier_text("sha1", digest.lower())
    openid = agent.get("openid")
    if isinstance(openid, str):
        return identifier_text("openid", openid)
    account = agent.get("account")
    if _is_map(account):
        home = str(account.get("homePage", "")).rstrip("/")
        return identifier_text("account", f"{home}|{account.get('name', '')}")
    return None


def address_identifier(address: str) -> str:
    """The identifier of an agent naming ``address`` by ``mbox`` or ``mbox_sha1sum``: what its
    keyed pseudonym is computed from (``SubjectLookup.of`` or ``.candidates`` of it)."""
    identifier = agent_identifier({"mbox": f"mailto:{address}"})
    assert identifier is not None  # an mbox always identifies
    return identifier


@dataclass(frozen=True)
class Pseudonyms:
    """Pseudonymises agents for the site at ``home`` (its public URL) under ``lookup``'s keys."""

    lookup: SubjectLookup
    home: str

    @property
    def learner_home(self) -> str:
        """The home page of learners' own pseudonyms (``learner.pseudonym``)."""
        return self.home.rstrip("/")

    @property
    def pseudonym_home(self) -> str:
        """The home page of the keyed pseudonyms of everyone else."""
        return self.learner_home + PSEUDONYM_PATH

    def stored_name(self, agent: Mapping[str, Any]) -> str | None:
        """The account name ``agent`` is stored under (None: an anonymous group)."""
        account = agent.get("account")
        if _is_map(account) and self._ours(account):
            return str(account.get("name", ""))
        identifier = agent_identifier(agent)
        return None if identifier is None else self.lookup.of(identifier)

    def candidates(self, agent: Mapping[str, Any]) -> list[str]:
        """Every account name ``agent`` may have been stored under: its keyed pseudonym under
        the current key and each retired one (or the pseudonym it already is)."""
        account = agent.get("account")
        if _is_map(account) and self._ours(account):
            return [str(account.get("name", ""))]
        identifier = agent_identifier(agent)
        return [] if identifier is None else self.lookup.candidates(identifier)

    def agent(self, agent: Mapping[str, Any]) -> dict[str, Any]:
        """``agent`` (an Agent or a Group) as it is stored: pseudonyms only, no names."""
        if agent.get("objectType") == "Group":
            group: dict[str, Any] = {"objectType": "Group"}
            if agent_identifier(agent) is not None:
                group["account"] = self._account(agent)
            members = agent.get("member")
            if isinstance(members, list):
                group["member"] = [self.agent(m) for m in members if _is_map(m)]
            return group
        return {"objectType": "Agent", "account": self._account(agent)}

    def statement(self, statement: Mapping[str, Any]) -> dict[str, Any]:
        """A copy of ``statement`` with every agent it names pseudonymised (the authority too:
        the caller replaces it with the client's own when it stores the statement)."""
        return _map_agents(statement, self.agent)

    def _account(self, agent: Mapping[str, Any]) -> dict[str, str]:
        account = agent.get("account")
        if _is_map(account) and self._ours(account):
            return {"homePage": str(account["homePage"]), "name": str(account.get("name", ""))}
        name = self.stored_name(agent)
        return {"homePage": self.pseudonym_home, "name": name or ""}

    def _ours(self, account: Mapping[str, Any]) -> bool:
        home = str(account.get("homePage", "")).rstrip("/")
        name = account.get("name")
        if not isinstance(name, str):
            return False
        if home == self.learner_home:
            return bool(is_uuid(name))
        return home == self.pseudonym_home and bool(_KEYED.fullmatch(name))


AgentMap = Callable[[Mapping[str, Any]], dict[str, Any]]


def erased(agent: Mapping[str, Any]) -> dict[str, Any]:
    """The placeholder standing for ``agent`` once an erasure removed it from a statement: an
    account on the same page named ``erased``, which names nobody (a group keeps its members)."""
    account = agent.get("account")
    home = account.get("homePage", "") if _is_map(account) else ""
    placeholder = {"homePage": str(home), "name": ERASED_NAME}
    if agent.get("objectType") == "Group":
        group: dict[str, Any] = {"objectType": "Group", "account": placeholder}
        if isinstance(agent.get("member"), list):
            group["member"] = agent["member"]
        return group
    return {"objectType": "Agent", "account": placeholder}


def forget(statement: Mapping[str, Any], names: Collection[str]) -> dict[str, Any]:
    """A copy of the stored ``statement`` in which every agent stored under one of ``names``
    (a group's members included) is the :func:`erased` placeholder."""

    def replace(agent: Mapping[str, Any]) -> dict[str, Any]:
        copy = dict(agent)
        members = agent.get("member")
        if agent.get("objectType") == "Group" and isinstance(members, list):
            copy["member"] = [replace(m) if _is_map(m) else m for m in members]
        account = agent.get("account")
        if _is_map(account) and account.get("name") in names:
            return erased(copy)
        return copy

    return _map_agents(statement, replace)


def _map_agents(statement: Mapping[str, Any], replace: AgentMap) -> dict[str, Any]:
    """``statement`` with ``replace`` applied to each agent it names, sub-statement included."""
    copy = dict(statement)
    for key in ("actor", "authority"):
        if _is_map(copy.get(key)):
            copy[key] = replace(copy[key])
    target = copy.get("object")
    if _is_map(target):
        kind = target.get("objectType")
        if kind in ("Agent", "Group"):
            copy["object"] = replace(target)
        elif kind == "SubStatement":
            copy["object"] = _map_agents(target, replace)
    context = copy.get("context")
    if _is_map(context) and any(key in context for key in _CONTEXT_AGENT_KEYS):
        copy["context"] = _map_context(context, replace)
    return copy


def _map_context(context: Mapping[str, Any], replace: AgentMap) -> dict[str, Any]:
    copy = dict(context)
    for key in CONTEXT_PEOPLE:
        if _is_map(copy.get(key)):
            copy[key] = replace(copy[key])
    # xAPI 2.0: contextAgents [{"agent": ...}], contextGroups [{"group": ...}].
    for key, inner in (("contextAgents", "agent"), ("contextGroups", "group")):
        entries = copy.get(key)
        if isinstance(entries, list):
            copy[key] = [
                {**entry, inner: replace(entry[inner])}
                if _is_map(entry) and _is_map(entry.get(inner))
                else entry
                for entry in entries
            ]
    return copy


def agents_in(statement: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Each agent ``statement`` names, with where it stands (``actor``, ``object``,
    ``context.instructor``, ``object.actor`` for a sub-statement's...); a group's members are
    listed under the group's place with ``.member``."""
    found: list[tuple[str, Mapping[str, Any]]] = []

    def visit(where: str) -> AgentMap:
        def record(agent: Mapping[str, Any]) -> dict[str, Any]:
            found.append((where, agent))
            members = agent.get("member") if agent.get("objectType") == "Group" else None
            for member in members if isinstance(members, list) else []:
                if _is_map(member):
                    found.append((where + ".member", member))
            return dict(agent)

        return record

    _walk_places(statement, "", visit)
    yield from found


def _walk_places(
    statement: Mapping[str, Any], prefix: str, visit: Callable[[str], AgentMap]
) -> None:
    for key in ("actor", "authority"):
        if _is_map(statement.get(key)):
            visit(prefix + key)(statement[key])
    target = statement.get("object")
    if _is_map(target):
        if target.get("objectType") in ("Agent", "Group"):
            visit(prefix + "object")(target)
        elif target.get("objectType") == "SubStatement":
            _walk_places(target, prefix + "object.", visit)
    context = statement.get("context")
    if _is_map(context):
        for key in CONTEXT_PEOPLE:
            if _is_map(context.get(key)):
                visit(f"{prefix}context.{key}")(context[key])
        for key, inner in (("contextAgents", "agent"), ("contextGroups", "group")):
            entries = context.get(key)
            for entry in entries if isinstance(entries, list) else []:
                if _is_map(entry) and _is_map(entry.get(inner)):
                    visit(f"{prefix}context.{key}")(entry[inner])


# Places :func:`stored_places` leaves out: the actor has a column of its own, the authority is
# the client's account, never a person.
_OWN_COLUMN = frozenset({"actor", "authority"})


def stored_places(document: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Each distinct (place, pseudonym) a stored statement names besides its actor and its
    authority: what a query by agent, an export and an erasure look the statement up by."""
    if not _names_others(document):
        return []  # most statements: no walk
    found: dict[tuple[str, str], None] = {}
    for where, agent in agents_in(document):
        account = agent.get("account")
        if where not in _OWN_COLUMN and _is_map(account):
            found[(where, str(account.get("name", "")))] = None
    return list(found)


def _names_others(statement: Mapping[str, Any]) -> bool:
    """Whether ``statement`` may name an agent besides its actor and authority: a group as
    actor, an agent, group or sub-statement as object, people in its context."""
    actor = statement.get("actor")
    if _is_map(actor) and actor.get("objectType") == "Group":
        return True
    target = statement.get("object")
    if _is_map(target) and target.get("objectType") in ("Agent", "Group", "SubStatement"):
        return True
    context = statement.get("context")
    return _is_map(context) and any(key in context for key in _CONTEXT_AGENT_KEYS)
