"""Use cases of the audit log: prove it untouched, and say which head was proven.

Writing to the log is not a use case of its own: sweeps, erasures and transmissions call
:func:`gardien.store.audit.append_audit` inside their own transaction, so that an action and its
entry commit together or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, text

from gardien.domain.clock import Clock
from gardien.errors import GardienError
from gardien.store.audit import (
    AuditHead,
    AuditVerification,
    append_audit,
    read_audit_head,
    verify_audit,
)
from gardien.store.tables import audit_entry
from gardien.store.uow import UnitOfWork

__all__ = [
    "AuditChainBrokenError",
    "AuditHead",
    "AuditReport",
    "AuditVerification",
    "report",
    "verify",
]


class AuditChainBrokenError(GardienError):
    """The audit log's hash chain is broken; the message names the first broken entry."""

    exit_code = 1

    def __init__(self, verification: AuditVerification) -> None:
        self.verification = verification
        super().__init__(
            f"audit chain broken at entry {verification.first_broken_id}: {verification.problem}"
        )


@dataclass(frozen=True)
class AuditReport:
    """A verification and the head it was made against, read in the same snapshot."""

    verification: AuditVerification
    head: AuditHead | None

    def as_json(self) -> dict[str, Any]:
        """The report as JSON data (what ``gardien audit verify --json`` prints)."""
        result = self.verification
        head = self.head
        return {
            "ok": result.ok,
            "entries_checked": result.entries_checked,
            "first_broken_id": result.first_broken_id,
            "problem": result.problem,
            # Kept elsewhere (a report, the DPO's mailbox), the head's hash lets a later
            # verification show that the log was not rewritten wholesale back to that point.
            "head": None
            if head is None
            else {
                "last_id": head.last_id,
                "hash": head.hash,
                "anchor_id": head.anchor_id,
                "anchor_hash": head.anchor_hash,
            },
        }


def verify(uow: UnitOfWork) -> AuditVerification:
    """Check the whole hash chain, from the anchor left by pruning to the head.

    Returns ``ok``, or the id of the first broken entry and what is wrong with it. See
    :func:`report` for how it reads the log.
    """
    return report(uow).verification


def report(uow: UnitOfWork, *, since: tuple[int, str] | None = None) -> AuditReport:
    """Verify the chain and read its head, both in one read-only snapshot of the log.

    The snapshot makes the answer about one state of the log while sweeps and the web app go on
    appending; it takes no lock and blocks none of them. Entries are read in chunks, so memory
    stays flat however many there are. Nothing is written. With ``since`` (see
    :func:`~gardien.store.audit.verify_audit`), only what came after that checkpoint is checked.
    """
    with uow:
        _snapshot(uow.connection)
        verification = verify_audit(uow.connection, since=since)
        return AuditReport(verification=verification, head=read_audit_head(uow.connection))


VERIFIED = "audit.verified"


@dataclass(frozen=True)
class Checkpoint:
    """A full verification recorded in the log: up to which entry, its hash, and when."""

    up_to: int
    hash: str
    recorded_at: datetime


def record_verification(uow: UnitOfWork, result: AuditReport, *, clock: Clock) -> None:
    """Append ``audit.verified`` for a full verification that passed, as a checkpoint the
    console starts from (``gardien audit verify --record``, run nightly like the sweep)."""
    if not result.verification.ok or result.head is None:
        return
    with uow:
        append_audit(
            uow.connection,
            action=VERIFIED,
            actor="audit",
            details={
                "up_to": result.head.last_id,
                "hash": result.head.hash,
                "checked": result.verification.entries_checked,
            },
            recorded_at=clock.now(),
        )
        uow.commit()


def last_checkpoint(uow: UnitOfWork) -> Checkpoint | None:
    """The latest recorded full verification (the newest entries are read first)."""
    with uow:
        row = uow.connection.execute(
            select(audit_entry.c.details, audit_entry.c.recorded_at)
            .where(audit_entry.c.action == VERIFIED)
            .order_by(audit_entry.c.id.desc())
            .limit(1)
        ).first()
    if row is None:
        return None
    details = dict(row.details)
    return Checkpoint(int(details["up_to"]), str(details["hash"]), row.recorded_at)


def _snapshot(connection: Connection) -> None:
    # On PostgreSQL this must be the transaction's first statement: the unit of work has sent
    # nothing yet. SQLite needs nothing: gardien opens every transaction with BEGIN, and a WAL
    # reader keeps the snapshot of its first read until the transaction ends.
    if connection.dialect.name == "postgresql":
        connection.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
