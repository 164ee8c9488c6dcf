"""The xAPI queries: clients, learners by actor, statements in and out, voiding, progress,
and the statements that name a person, by pseudonym, wherever they stand.

Everything here is set-based: a batch of 50 statements costs a handful of statements whatever
the batch holds (one lookup of known ids, one of learners, one insert, one more for the agents
named besides the actors when there are any, one update of last activity per learner, progress
only for statements on a module's activity).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    bindparam,
    exists,
    false,
    func,
    insert,
    literal,
    literal_column,
    not_,
    or_,
    select,
    text,
    union,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB

from gardien.domain.xapi.validate import VOIDED
from gardien.store.bulk import Bulk
from gardien.store.tables import (
    activity_statement,
    enrolment,
    learner,
    learning_module,
    module_progress,
    statement_agent,
    xapi_client,
)


@dataclass(frozen=True)
class Client:
    id: int
    name: str
    key: str
    secret_sha256: str


def client_by_key(connection: Connection, key: str) -> Client | None:
    """The active (not revoked) client ``key``."""
    row = connection.execute(
        select(
            xapi_client.c.id, xapi_client.c.name, xapi_client.c.key, xapi_client.c.secret_sha256
        ).where(xapi_client.c.key == key, xapi_client.c.revoked_at.is_(None))
    ).one_or_none()
    return Client(*row) if row is not None else None


def client_name_taken(connection: Connection, name: str) -> bool:
    """Whether a client, active or revoked, is named ``name`` (names are never reused)."""
    found = connection.execute(select(xapi_client.c.id).where(xapi_client.c.name == name)).first()
    return found is not None


def add_client(
    connection: Connection, *, name: str, key: str, secret_sha256: str, now: datetime
) -> int:
    return int(
        connection.execute(
            insert(xapi_client)
            .values(name=name, key=key, secret_sha256=secret_sha256, created_at=now)
            .returning(xapi_client.c.id)
        ).scalar_one()
    )


def revoke_client(connection: Connection, name: str, *, now: datetime) -> bool:
    done = connection.execute(
        update(xapi_client)
        .where(xapi_client.c.name == name, xapi_client.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return bool(done.rowcount)


@dataclass(frozen=True)
class Learner:
    id: int
    pseudonym: str
    email: str
    mbox_sha1sum: str | None
    given_name: str
    family_name: str


# The hot path's queries, built once: SQLAlchemy caches their compiled form, and an expanding
# parameter binds a request's list of values without coercing each one anew.
_LEARNERS_BY = select(
    learner.c.id,
    learner.c.pseudonym,
    learner.c.email,
    learner.c.mbox_sha1sum,
    learner.c.given_name,
    learner.c.family_name,
).where(
    or_(
        learner.c.email.in_(bindparam("emails", expanding=True)),
        learner.c.mbox_sha1sum.in_(bindparam("sha1sums", expanding=True)),
        learner.c.pseudonym.in_(bindparam("pseudonyms", expanding=True)),
    )
)
_PRESENT_LEARNERS = select(learner.c.id).where(learner.c.id.in_(bindparam("ids", expanding=True)))
_STORED_RAW = select(activity_statement.c.statement_id, activity_statement.c.raw).where(
    activity_statement.c.statement_id.in_(bindparam("ids", expanding=True))
)
_VOID = (
    update(activity_statement)
    .where(
        activity_statement.c.statement_id.in_(bindparam("targets", expanding=True)),
        activity_statement.c.verb != VOIDED,
    )
    .values(voided=True)
)


def learners_by(
    connection: Connection,
    *,
    emails: Iterable[str] = (),
    sha1sums: Iterable[str] = (),
    pseudonyms: Iterable[str] = (),
) -> list[Learner]:
    """The learners named by any of these identifiers (one query)."""
    values = {"emails": list(emails), "sha1sums": list(sha1sums), "pseudonyms": list(pseudonyms)}
    if not any(values.values()):
        return []
    return [Learner(*row) for row in connection.execute(_LEARNERS_BY, values)]


def present_learners(connection: Connection, ids: Iterable[int]) -> set[int]:
    """Those of the learners ``ids`` that exist."""
    wanted = list(ids)
    if not wanted:
        return set()
    return set(connection.execute(_PRESENT_LEARNERS, {"ids": wanted}).scalars())


def stored_raw(connection: Connection, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The stored statements among ``ids``, by id."""
    if not ids:
        return {}
    rows = connection.execute(_STORED_RAW, {"ids": list(ids)})
    return {row.statement_id: row.raw for row in rows}


# The columns of activity_statement a stored statement fills, in :class:`StatementRow`'s order.
STATEMENT_COLUMNS = (
    "statement_id",
    "learner_id",
    "actor_name",
    "verb",
    "object_id",
    "result_success",
    "result_completion",
    "result_score_scaled",
    "timestamp",
    "stored_at",
    "raw",
    "registration",
    "voided",
    "client_id",
)
AGENT_COLUMNS = ("statement_id", "place", "name")


class StatementRow(NamedTuple):
    """One row of activity_statement; ``raw`` is the statement already as JSON text."""

    statement_id: str
    learner_id: int | None
    actor_name: str | None
    verb: str
    object_id: str
    result_success: bool | None
    result_completion: bool | None
    result_score_scaled: float | None
    timestamp: datetime
    stored_at: datetime
    raw: str
    registration: str | None
    voided: bool
    client_id: int | None


def insert_statements(
    connection: Connection,
    rows: Sequence[StatementRow],
    agents: Sequence[tuple[str, str, str]] = (),
) -> None:
    """Insert statement ``rows`` and the ``agents`` they name besides their actors
    (``statement_id``, ``place``, ``name``), through the driver (store/bulk.py): a request's
    statements are the LRS's hot path, and SQLAlchemy's per-value binding cost more than
    SQLite's own work."""
    bulk = Bulk(connection)
    if rows:
        instant = bulk.codec.instant
        bulk.execute_chunk(
            bulk.insert_sql(activity_statement, STATEMENT_COLUMNS),
            [(*row[:8], instant(row.timestamp), instant(row.stored_at), *row[10:]) for row in rows],
        )
    if agents:
        bulk.execute_chunk(bulk.insert_sql(statement_agent, AGENT_COLUMNS), agents)


def void(connection: Connection, targets: Sequence[str]) -> int:
    """Mark the statements ``targets`` voided (voiding statements themselves never are)."""
    if not targets:
        return 0
    done = connection.execute(_VOID, {"targets": list(targets)})
    return int(done.rowcount or 0)


def advance_last_activity(connection: Connection, latest: dict[int, datetime]) -> None:
    """Move each learner's last activity forward to ``latest[id]`` (never back).

    One executemany through the driver, in learner id order: two requests updating the same
    learners always lock them in the same order, so they wait for each other instead of
    deadlocking (PostgreSQL).
    """
    if not latest:
        return
    bulk = Bulk(connection)
    mark = "?" if bulk.dialect == "sqlite" else "%s"
    instant = bulk.codec.instant
    bulk.execute_chunk(
        f"UPDATE learner SET last_activity_at = {mark} WHERE id = {mark}"
        f" AND last_activity_at < {mark}",
        [(instant(at), learner_id, instant(at)) for learner_id, at in sorted(latest.items())],
    )


@dataclass(frozen=True)
class ModuleOutcome:
    learner_id: int
    activity_id: str
    status: str
    score_scaled: float | None
    at: datetime


def record_progress(connection: Connection, outcomes: Sequence[ModuleOutcome]) -> int:
    """Apply module outcomes to the learners' enrolments on the module's path; rows changed.

    A statement on a module's activity (``learning_module.activity_id``) moves that module's
    progress for the learner's enrolment on its path, then the enrolment's percentage and status.
    Statements on other activities, or by learners not enrolled on the path, change nothing.
    """
    if not outcomes:
        return 0
    modules = {
        row.activity_id: (row.id, row.path_id)
        for row in connection.execute(
            select(
                learning_module.c.id, learning_module.c.path_id, learning_module.c.activity_id
            ).where(learning_module.c.activity_id.in_({o.activity_id for o in outcomes}))
        )
    }
    changed = 0
    touched: set[int] = set()
    for outcome in sorted(outcomes, key=lambda o: (o.learner_id, o.activity_id)):
        found = modules.get(outcome.activity_id)
        if found is None:
            continue
        module_id, path_id = found
        enrolment_id = connection.execute(
            select(enrolment.c.id).where(
                enrolment.c.learner_id == outcome.learner_id, enrolment.c.path_id == path_id
            )
        ).scalar_one_or_none()
        if enrolment_id is None:
            continue
        where = and_(
            module_progress.c.enrolment_id == enrolment_id,
            module_progress.c.module_id == module_id,
        )
        values = {
            "status": outcome.status,
            "score_scaled": outcome.score_scaled,
            "updated_at": outcome.at,
        }
        done = connection.execute(update(module_progress).where(where).values(**values))
        if not done.rowcount:
            connection.execute(
                insert(module_progress).values(
                    enrolment_id=enrolment_id, module_id=module_id, **values
                )
            )
        changed += 1
        touched.add(enrolment_id)
    for enrolment_id in sorted(touched):
        _recompute(connection, enrolment_id)
    return changed


DONE = ("completed", "passed")


def _recompute(connection: Connection, enrolment_id: int) -> None:
    path_id = connection.execute(
        select(enrolment.c.path_id).where(enrolment.c.id == enrolment_id)
    ).scalar_one()
    total = connection.execute(
        select(func.count())
        .select_from(learning_module)
        .where(learning_module.c.path_id == path_id)
    ).scalar_one()
    rows = connection.execute(
        select(module_progress.c.status, module_progress.c.updated_at).where(
            module_progress.c.enrolment_id == enrolment_id
        )
    ).all()
    done = [row for row in rows if row.status in DONE]
    progress = round(100 * len(done) / total) if total else 0
    values: dict[str, Any] = {"progress": progress}
    if total and len(done) == total:
        values.update(status="completed", completed_at=max(row.updated_at for row in done))
    elif rows:
        values["status"] = "in_progress"
    connection.execute(update(enrolment).where(enrolment.c.id == enrolment_id).values(**values))


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
