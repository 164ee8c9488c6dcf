"""Reading statements back: one by id, or a page of those matching the filters.

The agent filter is resolved to a learner the way stored actors are (:func:`actor_key`): an
agent gardien does not know matches nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from gardien.services.xapi.ingest import actor_key, learners_for
from gardien.store import xapi as store

Cursor = tuple[datetime, int]


@dataclass(frozen=True)
class StatementFilters:
    """The filters of ``GET /statements``, parsed; ``after`` is the paging cursor."""

    agent: Any = None
    verb: str | None = None
    activity: str | None = None
    registration: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 100
    ascending: bool = False
    after: Cursor | None = None
    related_activities: bool = False
    related_agents: bool = False  # passed on; the agent filter matches the actor only, so far


def statement_by_id(engine: Engine, statement_id: str, *, voided: bool) -> Any | None:
    """The stored statement ``statement_id`` (any case) if its voided state is ``voided``."""
    with engine.connect() as connection:
        return store.one_statement(connection, statement_id.lower(), voided=voided)


def find_statements(
    engine: Engine, filters: StatementFilters, *, home_page: str
) -> tuple[list[Any], Cursor | None]:
    """A page of non-voided statements in stored order, and the cursor of the next page.

    Statements that target (StatementRef) a statement matching the filters match too, also
    when that statement is voided (Communication 2.1.3.s3): see ``store.query_statements``.
    """
    with engine.connect() as connection:
        learner_id = None
        if filters.agent is not None:
            key = actor_key(filters.agent, home_page.rstrip("/"))
            found = learners_for(connection, [key]).get(key) if key is not None else None
            if found is None:
                return [], None
            learner_id = found.id
        return store.query_statements(
            connection,
            store.StatementQuery(
                learner_id=learner_id,
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
