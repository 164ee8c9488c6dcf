"""The parameters of ``GET /xapi/statements`` (xAPI 1.0.3 Communication 2.1.3), read and checked.

One statement by ``statementId`` or ``voidedStatementId`` (with ``format`` and ``attachments``
and nothing else, 2.1.3.s2.b1-b2), or a page of those matching the filters, paged by a cursor
that the ``more`` URL carries. Every refusal is an ``XapiValidationError`` naming the parameter.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

import orjson

from gardien.domain.xapi.canonical import FORMATS, Format
from gardien.domain.xapi.query import check_agent_filter, check_query
from gardien.domain.xapi.validate import parse_timestamp
from gardien.errors import XapiValidationError
from gardien.services.xapi.read import StatementFilters

__all__ = ["MAX_LIMIT", "ById", "Listing", "more_url", "read_query"]

MAX_LIMIT = 500
BY_ID = ("statementId", "voidedStatementId")
# What may come with statementId or voidedStatementId.
WITH_AN_ID = frozenset({"format", "attachments"})
FILTERS = frozenset(
    {
        "agent",
        "verb",
        "activity",
        "registration",
        "related_activities",
        "related_agents",
        "since",
        "until",
        "limit",
        "ascending",
        "cursor",
        "format",
        "attachments",
    }
)


@dataclass(frozen=True)
class ById:
    """One statement, by ``statementId`` (``voided`` False) or ``voidedStatementId``."""

    statement_id: str
    voided: bool
    format: Format
    attachments: bool


@dataclass(frozen=True)
class Listing:
    """A page of statements; ``params`` are the query's own, for the ``more`` URL."""

    filters: StatementFilters
    format: Format
    attachments: bool
    params: dict[str, str]


def read_query(query: Sequence[tuple[str, str]]) -> ById | Listing:
    """What a GET asks for; ``query`` holds its (name, value) pairs, repeated names included."""
    check_query(query)
    params = single(query)
    format_ = _format(params)
    attachments = _boolean(params, "attachments")
    given = [name for name in BY_ID if name in params]
    if given:
        if len(given) > 1:
            raise XapiValidationError("voidedStatementId", "cannot be used with statementId")
        others = sorted(set(params) - WITH_AN_ID - {given[0]})
        if others:
            raise XapiValidationError(
                others[0], f"cannot be used with {given[0]} (only format and attachments can)"
            )
        return ById(params[given[0]], given[0] == BY_ID[1], format_, attachments)
    unknown = sorted(set(params) - FILTERS)
    if unknown:
        raise XapiValidationError(unknown[0], "not a parameter of GET /statements")
    return Listing(_filters(params), format_, attachments, params)


def single(query: Sequence[tuple[str, str]]) -> dict[str, str]:
    """The parameters by name; a name given twice is refused."""
    params: dict[str, str] = {}
    for name, value in query:
        if name in params:
            raise XapiValidationError(name, "is given more than once")
        params[name] = value
    return params


def more_url(params: Mapping[str, str], after: tuple[datetime, int]) -> str:
    """The URL of the next page: the same query, with the cursor after ``after``."""
    rest = {name: value for name, value in params.items() if name != "cursor"}
    return f"/xapi/statements?{urlencode({**rest, 'cursor': _token(after)})}"


def _format(params: Mapping[str, str]) -> Format:
    value = params.get("format", "exact")
    for known in FORMATS:
        if value == known:
            return known
    raise XapiValidationError("format", "must be exact, ids or canonical")


def _boolean(params: Mapping[str, str], name: str) -> bool:
    value = params.get(name, "false").lower()
    if value not in ("true", "false"):
        raise XapiValidationError(name, "must be true or false")
    return value == "true"


def _filters(params: Mapping[str, str]) -> StatementFilters:
    agent = None
    if "agent" in params:
        try:
            agent = orjson.loads(params["agent"])
        except orjson.JSONDecodeError:
            raise XapiValidationError("agent", "not valid JSON") from None
        check_agent_filter(agent)
    try:
        limit = int(params.get("limit", "100") or "100")
    except ValueError:
        raise XapiValidationError("limit", "not a whole number") from None
    if limit < 0:
        raise XapiValidationError("limit", "must be 0 or more")
    return StatementFilters(
        agent=agent,
        verb=params.get("verb"),
        activity=params.get("activity"),
        registration=params.get("registration"),
        since=_instant(params, "since"),
        until=_instant(params, "until"),
        limit=MAX_LIMIT if limit == 0 else min(limit, MAX_LIMIT),
        ascending=_boolean(params, "ascending"),
        after=_cursor(params["cursor"]) if "cursor" in params else None,
        related_activities=_boolean(params, "related_activities"),
        related_agents=_boolean(params, "related_agents"),
    )


def _instant(params: Mapping[str, str], name: str) -> datetime | None:
    if name not in params:
        return None
    return parse_timestamp(params[name], prop=name)  # in UTC, or a 400 naming ``name``


def _cursor(token: str) -> tuple[datetime, int]:
    try:
        at, _, last = base64.urlsafe_b64decode(token.encode()).decode().partition("|")
        after = parse_timestamp(at, prop="cursor"), int(last)
    except (ValueError, UnicodeDecodeError, XapiValidationError):
        after = None
    # A forged cursor must not reach the database: an id past 64 bits is a driver error there.
    if after is None or not 0 <= after[1] < 2**63:
        raise XapiValidationError("cursor", "not a cursor this server gave")
    return after


def _token(after: tuple[datetime, int]) -> str:
    at, last = after
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{last}".encode()).decode()
