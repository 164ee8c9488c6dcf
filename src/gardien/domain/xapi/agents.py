"""Agents and Groups (xAPI 1.0.3 Data 2.4.2, 2.4.9): actors, instructors, teams, authorities.

An Agent has exactly one inverse functional identifier (mbox, mbox_sha1sum, openid, account); a
Group has at most one, and an anonymous Group (none) lists at least one member; members are
Agents, never Groups. Internal to ``gardien.domain.xapi``: the API is in ``validate``.
"""

from __future__ import annotations

from typing import Any

from gardien.domain.xapi.checks import (
    Check,
    as_array,
    as_object,
    each,
    fail,
    iri,
    mbox,
    properties,
    required,
    sha1,
    skip,
    string,
    wrong_type,
)


def _only_groups_have_members(value: object) -> None:
    fail("", "is not a property of an Agent: only a Group has members")


def _account(value: object) -> None:
    data = as_object(value, "an account")
    properties(data, _ACCOUNT, "is not a property of an account (homePage, name)")
    required(data, ("homePage", "name"), " in an account")


def _identifiers(data: dict[str, Any]) -> int:
    return ("mbox" in data) + ("mbox_sha1sum" in data) + ("openid" in data) + ("account" in data)


def agent(data: dict[str, Any]) -> None:
    """An Agent's properties, and its one identifier."""
    properties(data, _AGENT, "is not a property of an Agent")
    count = _identifiers(data)
    if count != 1:
        fail(
            "",
            "has no identifier: an Agent needs one of mbox, mbox_sha1sum, openid, account"
            if count == 0
            else f"has {count} identifiers: an Agent has exactly one of"
            " mbox, mbox_sha1sum, openid, account",
        )


def group(data: dict[str, Any]) -> None:
    """A Group's properties: at most one identifier, members if it has none."""
    properties(data, _GROUP, "is not a property of a Group")
    count = _identifiers(data)
    if count > 1:
        fail(
            "",
            f"has {count} identifiers: a Group has at most one of"
            " mbox, mbox_sha1sum, openid, account",
        )
    if count == 0 and not data.get("member"):
        fail("member", "must list at least one Agent in a Group without an identifier")


def _member(value: object) -> None:
    data = as_object(value, "an Agent")
    kind = data.get("objectType", "Agent")
    if kind != "Agent":
        fail("objectType", "must be Agent: the members of a Group are Agents, never Groups")
    agent(data)


def _members(value: object) -> None:
    each(as_array(value, "an array of Agents"), _member)


def agent_or_group(value: object) -> None:
    """An Agent (the default ``objectType``) or a Group: an actor, an instructor."""
    data = as_object(value, "an Agent or a Group")
    kind = data.get("objectType", "Agent")
    if kind == "Agent":
        agent(data)
    elif kind == "Group":
        group(data)
    else:
        wrong_type(kind, "Agent or Group")


def only_agent(value: object) -> None:
    """An Agent, ``objectType`` optional: the agent of a contextAgent."""
    data = as_object(value, "an Agent")
    kind = data.get("objectType", "Agent")
    if kind != "Agent":
        wrong_type(kind, "Agent")
    agent(data)


def only_group(value: object) -> None:
    """A Group, ``objectType`` required: a team, the group of a contextGroup."""
    data = as_object(value, "a Group")
    kind = data.get("objectType")
    if kind != "Group":
        wrong_type(kind, "Group")
    group(data)


def authority(value: object) -> None:
    """An Agent, or the Group of two Agents of 3-legged OAuth (Data 2.4.9.s3.b1)."""
    agent_or_group(value)
    data = as_object(value, "an Agent or a Group")
    if data.get("objectType") != "Group":
        return
    if any(name in data for name in ("mbox", "mbox_sha1sum", "openid", "account")):
        # The pair of 3-legged OAuth is an anonymous Group: an identified one is a group of
        # people, which no authority is (Data 2.4.9.s3.b3).
        fail("", "a Group as authority is anonymous: the OAuth application and user")
    if len(data.get("member", ())) != 2:
        fail("member", "must hold exactly two Agents (application and user) in an authority")


_ACCOUNT: dict[str, Check] = {"homePage": iri, "name": string}
_AGENT: dict[str, Check] = {
    "objectType": skip,
    "name": string,
    "mbox": mbox,
    "mbox_sha1sum": sha1,
    "openid": iri,
    "account": _account,
    "member": _only_groups_have_members,
}
_GROUP: dict[str, Check] = {**_AGENT, "member": _members}
