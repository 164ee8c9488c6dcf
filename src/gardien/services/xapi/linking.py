"""Statements stored before their actor was a learner become that learner's when they appear.

A statement whose actor is nobody gardien knows is stored under the keyed pseudonym of the
actor's identifier, with no learner (services/xapi/ingest.py). When learners are created (an
import), the statements whose actor is stored under the keyed pseudonym of one of their
addresses — under the current key or a retired one — are linked to them: from then on they
are the learner's, in their export, gone with their erasure or their expiry, and they move
the learner's last activity and progress as a live statement would.

The statement itself is not rewritten: its actor stays the keyed pseudonym it was stored
under. A statement is immutable once stored (xAPI), a client reading it again gets what it was
given back then, and the keyed pseudonym names nobody without the server key; a query by the
learner's agent finds it all the same (``store/xapi_query.py``, ``AgentFilter``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from itertools import islice

from sqlalchemy import Connection, Engine, select

from gardien.domain.clock import Clock
from gardien.domain.xapi.pseudonyms import Pseudonyms
from gardien.services.xapi.ingest import OUTCOMES
from gardien.store import xapi as store
from gardien.store.statement_names import Linked, link_statements
from gardien.store.tables import activity_statement, learner
from gardien.store.uow import UnitOfWork

# Addresses looked up per transaction: a few thousand pseudonyms in one IN list.
_ADDRESSES_PER_BATCH = 500


@dataclass(frozen=True)
class LinkReport:
    """What linking did: statements that became learners' own, and how many learners."""

    statements: int
    learners: int


def link_new_learners(
    engine: Engine, emails: Iterable[str], *, pseudonyms: Pseudonyms, clock: Clock
) -> LinkReport:
    """Link to the learners at ``emails`` the statements stored under their addresses' keyed
    pseudonyms before they were learners; one transaction per batch of addresses, and running
    it again links nothing twice."""
    with engine.connect() as connection:
        unlinked = connection.execute(
            select(activity_statement.c.id).where(activity_statement.c.learner_id.is_(None))
        ).first()
    if unlinked is None:
        return LinkReport(0, 0)  # the common case: nothing to link, nothing to look up
    statements = 0
    people: set[int] = set()
    addresses = iter(sorted({email.strip().lower() for email in emails}))
    while batch := list(islice(addresses, _ADDRESSES_PER_BATCH)):
        with UnitOfWork(engine, write=True) as uow:
            connection = uow.connection
            found = connection.execute(
                select(learner.c.id, learner.c.email).where(learner.c.email.in_(batch))
            ).all()
            names = {
                name: row.id
                for row in found
                for name in pseudonyms.candidates({"mbox": f"mailto:{row.email}"})
            }
            linked = link_statements(connection, names)
            _follow(connection, linked, clock.now())
            uow.commit()
        statements += len(linked)
        people.update(item.learner_id for item in linked)
    return LinkReport(statements, len(people))


def _follow(connection: Connection, linked: list[Linked], now: datetime) -> None:
    """Move the learners' last activity and progress as their statements would have."""
    latest: dict[int, datetime] = {}
    outcomes: list[store.ModuleOutcome] = []
    for item in linked:
        at = min(item.timestamp, item.stored_at, now)
        if item.learner_id not in latest or at > latest[item.learner_id]:
            latest[item.learner_id] = at
        if not item.voided and item.verb in OUTCOMES and item.object_id:
            outcomes.append(
                store.ModuleOutcome(
                    learner_id=item.learner_id,
                    activity_id=item.object_id,
                    status=OUTCOMES[item.verb],
                    score_scaled=item.score_scaled,
                    at=at,
                )
            )
    store.advance_last_activity(connection, latest)
    store.record_progress(connection, outcomes)
