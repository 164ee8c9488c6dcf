"""``gardien erasure replay``: re-apply, after a restore, the erasures the database lacks.

The erasure ledger (store/erasure_ledger.py) holds every erasure; ``erasure_applied`` the
entries this database has applied. A database restored from a backup lacks the entries written
after the backup was taken, and holds again the people they erased. The replay reads those
entries, finds each person by computing the keyed lookup of every address the database holds
(under the current and retired keys) and matching it with the entry's, and erases them again
with :func:`~gardien.services.erasure.erase_keys`, recording the entry as applied in the same
transaction. An entry whose address the database no longer holds is still applied with its
keyed pseudonyms alone (the statements and kept records that name the person by them), then
marked applied. A newsletter unsubscription in the ledger unsubscribes the address again. The
web server refuses to start while any entry is pending
(:func:`check_replayed`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine

from gardien.domain.clock import Clock
from gardien.domain.lookup import SubjectLookup, normalise_address
from gardien.errors import ReplayNeededError
from gardien.policy import Policy
from gardien.services.erasure import erase_keys
from gardien.services.objection import object_again
from gardien.services.subject_export import subject_keys
from gardien.services.website.newsletter import unsubscribe_address
from gardien.store.blobs import BlobStore
from gardien.store.erasure_applied import applied_ids, held_addresses, lineage_of, mark_applied
from gardien.store.erasure_ledger import OBJECTION, UNSUBSCRIBE, ErasureLedger, LedgerEntry
from gardien.store.subject_queries import SubjectKeys
from gardien.store.uow import UnitOfWork

REPLAY_ACTOR = "erasure-replay"
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ReplaySummary:
    """What a replay did, in numbers only: never an address."""

    in_ledger: int
    pending: int
    found: int
    rows_erased: int
    unsubscribed: int = 0
    objections: int = 0

    @property
    def not_found(self) -> int:
        return self.pending - self.found

    def summary(self) -> str:
        if not self.pending:
            return f"erasure ledger: {self.in_ledger} entries, all applied; nothing to replay"
        said = (
            f"erasure ledger: {self.in_ledger} entries, {self.pending} replayed:"
            f" {self.found} found in the database ({self.rows_erased} rows erased),"
            f" {self.not_found} no longer held (marked applied)"
        )
        if self.unsubscribed:
            said += f"; {self.unsubscribed} newsletter subscription(s) unsubscribed again"
        if self.objections:
            said += f"; {self.objections} objection(s) to commercial e-mail applied again"
        return said


def pending_entries(engine: Engine, ledger: ErasureLedger) -> tuple[int, list[str]]:
    """How many entries the ledger holds, and the ids of those the database has not applied.

    Lists the ledger (names only, no entry is read) and reads the ids of ``erasure_applied``:
    one listing call per 1,000 entries on S3, one directory read on disk.
    """
    lineage = lineage_of(engine)
    with engine.connect() as connection:
        applied = applied_ids(connection)
    listed = list(ledger.ids(lineage))
    return len(listed), [entry_id for entry_id in listed if entry_id not in applied]


def check_replayed(engine: Engine, ledger: ErasureLedger) -> None:
    """Refuse (:class:`ReplayNeededError`) a database that lacks erasures of the ledger."""
    _, pending = pending_entries(engine, ledger)
    if pending:
        raise ReplayNeededError(
            f"the erasure ledger ({ledger.where}) holds {len(pending)} erasure(s) this database"
            " has not applied (a backup from before them was restored?): run"
            " `gardien erasure replay` before starting the server"
        )


def replay_erasures(
    *,
    engine: Engine,
    ledger: ErasureLedger,
    policy: Policy,
    clock: Clock,
    lookup: SubjectLookup,
    blobs: BlobStore | None = None,
    progress: Progress | None = None,
) -> ReplaySummary:
    """Re-apply every ledger entry the database has not applied; say how many, in numbers."""
    in_ledger, pending = pending_entries(engine, ledger)
    if not pending:
        return ReplaySummary(in_ledger=in_ledger, pending=0, found=0, rows_erased=0)
    lineage = lineage_of(engine)
    entries: list[LedgerEntry] = []
    for done, entry_id in enumerate(pending, start=1):
        entries.append(ledger.read(lineage, entry_id))
        if progress is not None:
            progress("reading the ledger", done, len(pending))
    addresses = _addresses_by_lookup(engine, lookup, progress)
    found = rows = unsubscribed = objections = 0
    for done, entry in enumerate(entries, start=1):
        address = next((addresses[k] for k in entry.lookups if k in addresses), None)
        if entry.kind in (UNSUBSCRIBE, OBJECTION):
            found += address is not None
            if entry.kind == UNSUBSCRIBE:
                unsubscribed += _unsubscribe_again(engine, policy, clock, entry.id, address)
            else:
                objections += _object_again(engine, policy, clock, entry, address)
            if progress is not None:
                progress("replaying erasures", done, len(entries))
            continue
        if address is None:
            keys = SubjectKeys(email="", lookups=entry.lookups, agent_names=entry.agent_names)
        else:
            found += 1
            known = subject_keys(address, lookup)
            keys = SubjectKeys(
                email=known.email,
                lookups=tuple(dict.fromkeys((*known.lookups, *entry.lookups))),
                agent_names=tuple(dict.fromkeys((*known.agent_names, *entry.agent_names))),
            )
        result = erase_keys(
            keys,
            uow=UnitOfWork(engine, write=True),
            policy=policy,
            clock=clock,
            lookup=lookup,
            actor=REPLAY_ACTOR,
            blobs=blobs,
            entries=[entry.id],
        )
        rows += sum(result.erased.values())
        if progress is not None:
            progress("replaying erasures", done, len(entries))
    return ReplaySummary(
        in_ledger=in_ledger,
        pending=len(pending),
        found=found,
        rows_erased=rows,
        unsubscribed=unsubscribed,
        objections=objections,
    )


def _object_again(
    engine: Engine, policy: Policy, clock: Clock, entry: LedgerEntry, address: str | None
) -> int:
    """Re-apply a ledgered objection of ``address`` (None: held no more), recording it."""
    with UnitOfWork(engine, write=True) as uow:
        if address is not None:
            object_again(
                uow.connection,
                address=address,
                identity_check=entry.identity_check or "session",
                recorded_at=entry.recorded_at,
                actor=REPLAY_ACTOR,
                region=policy.controller.holiday_region,
            )
        mark_applied(uow.connection, [entry.id], now=clock.now())
        uow.commit()
    return int(address is not None)


def _unsubscribe_again(
    engine: Engine, policy: Policy, clock: Clock, entry_id: str, address: str | None
) -> int:
    """Re-apply a ledgered unsubscription of ``address`` (None: held no more), recording it."""
    with UnitOfWork(engine, write=True) as uow:
        count = 0
        if address is not None:
            count = unsubscribe_address(
                uow.connection, policy, address, now=clock.now(), actor=REPLAY_ACTOR
            )
        mark_applied(uow.connection, [entry_id], now=clock.now())
        uow.commit()
    return count


def _addresses_by_lookup(
    engine: Engine, lookup: SubjectLookup, progress: Progress | None
) -> dict[str, str]:
    """Every address the database holds, by each keyed lookup it may have been written under.

    One HMAC per address and key: a million addresses take a few seconds.
    """
    found: dict[str, str] = {}
    with engine.connect() as connection:
        for count, address in enumerate(held_addresses(connection), start=1):
            text = normalise_address(address)
            for candidate in lookup.candidates(text):
                found[candidate] = text
            if progress is not None and count % 1000 == 0:
                progress("reading addresses", count, count)
    return found
