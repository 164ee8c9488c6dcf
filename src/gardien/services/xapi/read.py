"""Reading statements back: one by id, or a page of those matching the filters.

The agent filter is pseudonymised the way stored agents are (domain/xapi/pseudonyms.py), under
every key still in use, and resolved to a learner the way stored actors are
(:func:`actor_key`): it finds the statements stored under the learner's own pseudonym, those
stored under the keyed pseudonym of the identifier it gives, and those linked to the learner
since (services/xapi/linking.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine

from gardien.domain.lookup import SubjectLookup
from gardien.domain.xapi.pseudonyms import Pseudonyms
from gardien.services.xapi.ingest import actor_key, learners_for
from gardien.store import xapi_query

Cursor = tuple[datetime, int]


@dataclass(frozen=True)
class StatementFilters:
    """The filters of ``GET /statements``, parsed; ``after`` is the paging cursor."""

    agent: Any = None
    related_agents: bool = False
    verb: str | None = None
    activity: str | None = None
    registration: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 100
    ascending: bool = False
    after: Cursor | None = None
    related_activities: bool = False


def statement_by_id(engine: Engine, statement_id: str, *, voided: bool) -> Any | None:
    """The stored statement ``statement_id`` (any case) if its voided state is ``voided``."""
    with engine.connect() as connection:
        return xapi_query.one_statement(connection, statement_id.lower(), voided=voided)


def agent_filter(
    connection: Connection, agent: Any, names: Pseudonyms, *, related: bool = False
) -> xapi_query.AgentFilter:
    """The ``agent`` filter as the store matches it: every pseudonym it may be stored under,
    the learner it names if any, and (``related``) the client it names as authority."""
    candidates = names.candidates(agent)
    key = actor_key(agent, names.learner_home)
    person = learners_for(connection, [key]).get(key) if key is not None else None
    if person is not None:
        # Named by their pseudonym, by their address's keyed one (elsewhere than as actor, or
        # before they were a learner), whichever identifier the filter gives.
        candidates += [person.pseudonym, *names.candidates({"mbox": f"mailto:{person.email}"})]
    client_id = None
    account = agent.get("account") if isinstance(agent, dict) else None
    clients = f"{names.learner_home}/xapi/clients"
    if related and isinstance(account, dict) and account.get("homePage") == clients:
        client_id = xapi_query.client_id_named(connection, str(account.get("name", "")))
    return xapi_query.AgentFilter(
        names=tuple(dict.fromkeys(candidates)),
        learner_id=person.id if person is not None else None,
        related=related,
        client_id=client_id,
    )


def find_statements(
    engine: Engine, filters: StatementFilters, *, home_page: str, lookup: SubjectLookup
) -> tuple[list[Any], Cursor | None]:
    """A page of non-voided statements in stored order, and the cursor of the next page.

    Statements that target (StatementRef) a statement matching the filters match too, also
    when that statement is voided (Communication 2.1.3.s3): see ``xapi_query.query_statements``.
    """
    with engine.connect() as connection:
        agent = None
        if filters.agent is not None:
            names = Pseudonyms(lookup, home_page)
            agent = agent_filter(connection, filters.agent, names, related=filters.related_agents)
        return xapi_query.query_statements(
            connection,
            xapi_query.StatementQuery(
                agent=agent,
                verb=filters.verb,
                activity=filters.activity,
                registration=filters.registration,
                since=filters.since,
                until=filters.until,
                limit=filters.limit,
                ascending=filters.ascending,
                after=filters.after,
                related_activities=filters.related_activities,
                related_agents=filters.related_agents,
            ),
        )
