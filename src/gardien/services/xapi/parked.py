"""Statements parked for a person not known yet, attached when that person becomes a learner.

With ``GARDIEN_XAPI_UNKNOWN_ACTORS=park``, a statement whose actor is no learner is kept as
received in ``xapi_parked``, filed under the keyed lookup of its actor's identifier
(:func:`gardien.services.xapi.ingest.actor_lookup`). When learners appear (an import), the
statements parked for their addresses are stored as theirs through the same ingest as a live
request (pseudonymised, moving their last activity and progress), then removed from the
parking. Until then they belong to the address they name: its export lists them and its
erasure removes them (``store/subject_queries.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import islice

from sqlalchemy import Engine, delete, func, select

from gardien.domain.clock import Clock
from gardien.domain.lookup import SubjectLookup
from gardien.domain.xapi.identifiers import identifiers_of
from gardien.services.xapi.ingest import store_statements
from gardien.store import xapi as store
from gardien.store.tables import xapi_client, xapi_parked
from gardien.store.uow import UnitOfWork

# Addresses looked up per query: a few thousand keyed lookups in one IN list.
_ADDRESSES_PER_QUERY = 500


@dataclass(frozen=True)
class Attached:
    """What attaching did: statements stored as learners' own, and how many learners."""

    statements: int
    learners: int


def attach_parked(
    engine: Engine,
    emails: Iterable[str],
    *,
    lookup: SubjectLookup,
    home_page: str,
    clock: Clock,
) -> Attached:
    """Store as their own the statements parked for the learners at ``emails``.

    Each client's statements go through :func:`store_statements` (one transaction), then
    leave the parking (another): a crash in between leaves them in both, and running this
    again stores nothing twice (a statement id already stored with the same content is
    accepted and changes nothing) and empties the parking.
    """
    with engine.connect() as connection:
        if not connection.execute(select(func.count()).select_from(xapi_parked)).scalar_one():
            return Attached(0, 0)  # the common case: nothing parked, nothing to look up
    statements = 0
    people: set[str] = set()
    addresses = iter(sorted({email.strip().lower() for email in emails}))
    while batch := list(islice(addresses, _ADDRESSES_PER_QUERY)):
        owners = {
            found: address
            for address in batch
            for text in identifiers_of(address)
            for found in lookup.candidates(text)
        }
        for client_id, rows in _parked_by_client(engine, list(owners)).items():
            client = _client(engine, client_id)
            store_statements(
                UnitOfWork(engine, write=True),
                [statement for _, _, statement in rows],
                client=client,
                home_page=home_page,
                clock=clock,
                lookup=lookup,
                unknown="refuse",
            )
            with UnitOfWork(engine, write=True) as uow:
                ids = [row_id for row_id, _, _ in rows]
                uow.connection.execute(delete(xapi_parked).where(xapi_parked.c.id.in_(ids)))
                uow.commit()
            statements += len(rows)
            people.update(owners[found] for _, found, _ in rows)
    return Attached(statements, len(people))


def _parked_by_client(
    engine: Engine, lookups: Sequence[str]
) -> dict[int, list[tuple[int, str, dict[str, object]]]]:
    """The parked statements filed under ``lookups``, by client, in the order received."""
    query = (
        select(xapi_parked.c.id, xapi_parked.c.client_id, xapi_parked.c.actor_lookup)
        .add_columns(xapi_parked.c.statement)
        .where(xapi_parked.c.actor_lookup.in_(lookups))
        .order_by(xapi_parked.c.received_at, xapi_parked.c.id)
    )
    found: dict[int, list[tuple[int, str, dict[str, object]]]] = {}
    with engine.connect() as connection:
        for row_id, client_id, actor, statement in connection.execute(query):
            found.setdefault(client_id, []).append((row_id, actor, statement))
    return found


def _client(engine: Engine, client_id: int) -> store.Client:
    """The client that sent a parked statement, revoked or not: it sent it while trusted."""
    with engine.connect() as connection:
        row = connection.execute(
            select(
                xapi_client.c.id,
                xapi_client.c.name,
                xapi_client.c.key,
                xapi_client.c.secret_sha256,
            ).where(xapi_client.c.id == client_id)
        ).one()
    return store.Client(*row)
