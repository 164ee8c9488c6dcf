"""Reading statements: the filters of ``GET /xapi/statements`` as SQL, one page at a time.

An agent is matched by every pseudonym it may be stored under (:class:`AgentFilter`); a page is
found by index when an agent or a registration narrows it, else by a walk through the stored
order; a statement that targets a matching one (a StatementRef) matches too, link by link
(docs/xapi.md, "Queries by agent"; docs/scaling.md says what each costs).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    exists,
    false,
    func,
    literal,
    literal_column,
    not_,
    or_,
    select,
    text,
    union,
)
from sqlalchemy.dialects.postgresql import JSONB

from gardien.store.tables import activity_statement, statement_agent, xapi_client

# -- the agent filter, and statements by pseudonym ----------------------------------------------


@dataclass(frozen=True)
class AgentFilter:
    """The ``agent`` filter of ``GET /statements``, resolved: every pseudonym the agent may be
    stored under, the learner it names (their linked statements keep the actor they were
    stored with), with ``related`` every place it may stand in, the authority included (the
    client ``client_id``, when the agent is a client's account)."""

    names: tuple[str, ...] = ()
    learner_id: int | None = None
    related: bool = False
    client_id: int | None = None


def agent_condition(agent: AgentFilter, table: Any = activity_statement) -> ColumnElement[bool]:
    """The statements ``agent`` matches: as actor or object, or (``related``) anywhere but
    as a group's member (xAPI 1.0.3, Communication 2.1.3); ``table`` is the statements table
    or an alias of it (the target of a StatementRef)."""
    terms = agent_terms(agent, table)
    return or_(*terms) if terms else false()


def agent_terms(agent: AgentFilter, table: Any = activity_statement) -> list[ColumnElement[bool]]:
    """The ways a statement of ``table`` matches ``agent``, one condition each (none: no
    statement can): by ``learner_id``, by the actor's pseudonym among the statements of no
    learner, through ``statement_agent``, and (``related``) by the client as authority."""
    s = table.c
    terms: list[ColumnElement[bool]] = []
    if agent.learner_id is not None:
        terms.append(s.learner_id == agent.learner_id)
    if agent.names:
        names = list(agent.names)
        # A learner's statements are theirs by learner_id; the actor's name is looked up among
        # the statements of no learner only (store/tables/learning.py says why).
        terms.append(and_(s.learner_id.is_(None), s.actor_name.in_(names)))
        a = statement_agent.c
        place = a.place == "object" if not agent.related else not_(a.place.like("%.member"))
        terms.append(s.statement_id.in_(select(a.statement_id).where(a.name.in_(names), place)))
    if agent.related and agent.client_id is not None:
        terms.append(s.client_id == agent.client_id)
    return terms


def client_id_named(connection: Connection, name: str) -> int | None:
    """The id of the client (revoked or not) named ``name``: the authority it stands for."""
    found = connection.execute(select(xapi_client.c.id).where(xapi_client.c.name == name))
    return found.scalar_one_or_none()


@dataclass(frozen=True)
class StatementQuery:
    """The filters of ``GET /statements`` (the agent already resolved to its pseudonyms)."""

    agent: AgentFilter | None = None
    verb: str | None = None
    activity: str | None = None
    registration: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 100
    ascending: bool = False
    after: tuple[datetime, int] | None = None  # the paging cursor: (stored_at, id) last seen
    # ``activity`` also matches a sub-statement's object and every context activity.
    related_activities: bool = False
    # ``agent`` everywhere an agent stands: not matched yet (the agent filter is the actor's).
    related_agents: bool = False


# How many StatementRefs a query follows from a statement to the statement it targets (a
# voiding statement, a comment on it...): each link is one lookup by the unique statement id.
REFERENCE_DEPTH = 4
UUID_LENGTH = 36


def query_statements(
    connection: Connection, query: StatementQuery
) -> tuple[list[dict[str, Any]], tuple[datetime, int] | None]:
    """Non-voided statements matching ``query`` in stored order; the cursor of the next page.

    A statement whose object is a StatementRef matches the filters other than time (agent,
    verb, activity, registration) when the statement it targets does, voided or not, following
    references up to :data:`REFERENCE_DEPTH` links (Communication 2.1.3.s3, 2.1.4.s1.b2): the
    voiding statement of a statement about an activity is found by that activity.
    """
    page = statements_page(query, connection.dialect.name)
    if page is None:
        return [], None
    filtered = (query.agent, query.verb, query.activity, query.registration)
    if connection.dialect.name == "postgresql" and any(f is not None for f in filtered):
        # The planner charges the chain's EXISTS to every row, short-circuit or not: past
        # jit_above_cost, compiling the plan took 0.5 s for a query that runs in 5 ms. The
        # indexed form guesses thousands of rows per link (none are there, most often): 30 ms
        # of compiling for a query that runs in 3.5 ms at a million statements.
        connection.execute(text("SET LOCAL jit = off"))
    rows = connection.execute(page).all()
    more = None
    if len(rows) > query.limit:
        rows = rows[: query.limit]
        more = (rows[-1].stored_at, rows[-1].id)
    return [row.raw for row in rows], more


def statements_page(query: StatementQuery, dialect: str) -> Select[Any] | None:
    """The query of one page of :func:`query_statements` (``limit`` + 1 rows, to tell whether
    there is more), or None when no statement can match.

    With an agent or a registration, the statements matching the filters are found first by
    index, then those referring to them, link by link (:func:`_matched_ids`), and only their
    rows are sorted and paged: the page costs what the agent holds, not what the table does.
    With neither (a verb, an activity, the authority), no index answers the filters: the page
    walks the stored order, testing each statement and its chain of targets as it goes.
    """
    s = activity_statement.c
    conditions: list[Any] = [s.voided.is_(False)]
    if _walks_stored_order(query):
        conditions.append(_matches(query, dialect))
    elif _indexed(query):
        ways = _indexed_ways(query, dialect)
        if not ways:
            return None
        conditions.append(s.id.in_(_matched_ids(ways)))
    if query.since is not None:
        conditions.append(s.stored_at > query.since)
    if query.until is not None:
        conditions.append(s.stored_at <= query.until)
    if query.after is not None:
        at, last_id = query.after
        if query.ascending:
            conditions.append(or_(s.stored_at > at, and_(s.stored_at == at, s.id > last_id)))
        else:
            conditions.append(or_(s.stored_at < at, and_(s.stored_at == at, s.id < last_id)))
    order = (s.stored_at, s.id) if query.ascending else (s.stored_at.desc(), s.id.desc())
    return (
        select(s.id, s.stored_at, s.raw).where(*conditions).order_by(*order).limit(query.limit + 1)
    )


def _indexed(query: StatementQuery) -> bool:
    """Whether an index answers the filters other than time: a registration, or an agent but
    one that matches its client's statements as authority (no index on the client: an LMS's
    client is the authority of nearly every statement)."""
    agent = query.agent
    by_agent = agent is not None and not (agent.related and agent.client_id is not None)
    return query.registration is not None or by_agent


def _walks_stored_order(query: StatementQuery) -> bool:
    """Whether the page is left to a walk through stored order, testing each statement."""
    filtered = any(
        f is not None for f in (query.agent, query.verb, query.activity, query.registration)
    )
    return filtered and not _indexed(query)


def _indexed_ways(query: StatementQuery, dialect: str) -> list[list[Any]]:
    """Each way a statement meets the filters other than time that an index answers, as the
    conditions of one query: by registration (one way), else by each of the agent's
    :func:`agent_terms` (none: nothing matches). Only when :func:`_indexed`."""
    table = activity_statement
    if query.registration is not None or query.agent is None:
        return [_filters(query, table, dialect)]
    others = _filters(query, table, dialect, agent=False)
    return [[term, *others] for term in agent_terms(query.agent, table)]


def _matched_ids(ways: Sequence[Sequence[Any]]) -> Any:
    """The ids of the statements, voided or not, that meet one of ``ways``, and of those whose
    object is a StatementRef to one of them, up to :data:`REFERENCE_DEPTH` links.

    Each way is its own indexed query and their ids are united: PostgreSQL answers an OR of
    them (one holds a subquery) by walking the table (docs/scaling.md). Each link is one CTE
    found through ``ix_activity_statement_statement_ref`` (store/tables/learning.py): flat, as
    SQLite's parser refuses deep nesting. Statement ids are stored in lower case, a
    StatementRef's id as the client wrote it.
    """
    s = activity_statement.c
    level = union(*(select(s.id, s.statement_id).where(*way) for way in ways)).cte("matched_0")
    levels = [level]
    for depth in range(1, REFERENCE_DEPTH + 1):
        referring = activity_statement.alias(f"referring_{depth}")
        r = referring.c
        level = (
            select(r.id, r.statement_id)
            .where(
                func.length(r.object_id) == UUID_LENGTH,
                func.lower(r.object_id).in_(select(level.c.statement_id)),
            )
            .cte(f"matched_{depth}")
        )
        levels.append(level)
    return union(*(select(found.c.id) for found in levels))


def _matches(query: StatementQuery, dialect: str) -> Any:
    """A statement meets the filters, or its object is a StatementRef to one that does, or to
    one whose object is a StatementRef to one that does...

    Only a statement whose object id has the length of a UUID looks further (an Activity's IRI
    never is a statement id: an IRI has a colon, a UUID none), in one EXISTS over the chain of
    targets as outer joins: flat, as SQLite's parser refuses deep nesting. Statement ids are
    stored in lower case, a StatementRef's id as the client wrote it.
    """
    s = activity_statement.c
    links = [activity_statement.alias(f"target_{depth}") for depth in range(REFERENCE_DEPTH)]
    chain: Any = links[0]
    for previous, target in itertools.pairwise(links):
        chain = chain.outerjoin(
            target,
            and_(
                func.length(previous.c.object_id) == UUID_LENGTH,
                target.c.statement_id == func.lower(previous.c.object_id),
            ),
        )
    # A link that is not there (NULL) is ruled out first, before its JSON is looked at.
    met = [and_(link.c.id.is_not(None), *_filters(query, link, dialect)) for link in links]
    targeted = exists(
        select(literal_column("1"))
        .select_from(chain)
        .where(links[0].c.statement_id == func.lower(s.object_id), or_(*met))
    )
    return or_(
        and_(*_filters(query, activity_statement, dialect)),
        and_(func.length(s.object_id) == UUID_LENGTH, targeted),
    )


def _filters(query: StatementQuery, table: Any, dialect: str, *, agent: bool = True) -> list[Any]:
    """The conditions of ``query`` other than time, on ``table`` (the statement or a target);
    without the agent's unless ``agent``."""
    t = table.c
    conditions: list[Any] = []
    if agent and query.agent is not None:
        conditions.append(agent_condition(query.agent, table))
    if query.verb is not None:
        conditions.append(t.verb == query.verb)
    if query.activity is not None:
        about = t.object_id == query.activity
        if query.related_activities:
            about = or_(about, _related_activity(table, query.activity, dialect))
        conditions.append(about)
    if query.registration is not None:
        conditions.append(t.registration == query.registration)
    return conditions


def _related_activity(table: Any, activity: str, dialect: str) -> Any:
    """``activity`` is the object of the sub-statement, or one of the context activities of
    the statement or of its sub-statement (a single Activity or an array of them)."""
    raw = table.c.raw
    if dialect == "postgresql":
        iri = literal({"iri": activity}, JSONB)  # one value for every row

        def found(path: str) -> Any:
            # Lax mode: ``[*]`` takes a single Activity as an array of one.
            return func.jsonb_path_exists(raw, literal_column(f"'{path}'::jsonpath"), iri)

        return or_(
            found("$.object.object ? (@.id == $iri)"),
            found("$.context.contextActivities.*[*] ? (@.id == $iri)"),
            found("$.object.context.contextActivities.*[*] ? (@.id == $iri)"),
        )

    def listed(path: str) -> Any:
        # Every "id" under the context activities but those inside a definition (interaction
        # components have ids too).
        tree = func.json_tree(raw, path).table_valued("key", "value", "path")
        return exists(
            select(literal_column("1"))
            .select_from(tree)
            .where(
                tree.c.key == "id", tree.c.value == activity, tree.c.path.not_like("%.definition%")
            )
        )

    matched = or_(
        func.json_extract(raw, "$.object.object.id") == activity,
        listed("$.context.contextActivities"),
        listed("$.object.context.contextActivities"),
    )
    if activity.isascii() and activity.isprintable() and not {'"', "\\"} & set(activity):
        # Written as is in the JSON text whatever the serialiser: a substring search rules out
        # most rows before json_tree parses them (four times faster on a scan of 100,000).
        return and_(func.instr(raw, activity) > 0, matched)
    return matched


def one_statement(connection: Connection, statement_id: str, *, voided: bool) -> Any | None:
    """The statement ``statement_id`` if its voided state is ``voided``."""
    s = activity_statement.c
    return connection.execute(
        select(s.raw).where(s.statement_id == statement_id, s.voided.is_(voided))
    ).scalar_one_or_none()
