"""Pruning the audit log from its old end: the anchor moves, the chain still verifies."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select, text

from gardien.services import audit
from gardien.store.audit import (
    GENESIS_HASH,
    AuditHead,
    AuditVerification,
    append_audit,
    prune_audit,
    read_audit_head,
)
from gardien.store.tables import audit_entry
from gardien.store.uow import UnitOfWork

START = datetime(2016, 1, 5, 9, 0, tzinfo=UTC)


def fill(engine: Engine, count: int, *, start: datetime = START) -> None:
    """``count`` entries, one a day from ``start``."""
    with engine.begin() as connection:
        for number in range(count):
            append_audit(
                connection,
                action="sweep.batch",
                actor="sweep",
                details={"count": number},
                recorded_at=start + timedelta(days=number),
            )


def prune(engine: Engine, *, before: datetime, limit: int = 1_000) -> int:
    with UnitOfWork(engine, write=True) as uow:
        pruned = prune_audit(uow.connection, before=before, limit=limit)
        uow.commit()
    return pruned


def head(engine: Engine) -> AuditHead | None:
    with engine.connect() as connection:
        return read_audit_head(connection)


def hash_of(engine: Engine, entry_id: int) -> str:
    with engine.connect() as connection:
        found: str = connection.execute(
            select(audit_entry.c.hash).where(audit_entry.c.id == entry_id)
        ).scalar_one()
    return found


def ids(engine: Engine) -> list[int]:
    with engine.connect() as connection:
        return list(
            connection.execute(select(audit_entry.c.id).order_by(audit_entry.c.id)).scalars()
        )


def verify(engine: Engine) -> AuditVerification:
    return audit.verify(UnitOfWork(engine))


def test_pruning_moves_the_anchor_and_the_rest_still_verifies(engine: Engine) -> None:
    fill(engine, 10)
    fourth, last = hash_of(engine, 4), hash_of(engine, 10)
    assert prune(engine, before=START + timedelta(days=100), limit=4) == 4
    assert ids(engine) == [5, 6, 7, 8, 9, 10]
    assert head(engine) == AuditHead(last_id=10, hash=last, anchor_id=4, anchor_hash=fourth)
    assert verify(engine) == AuditVerification(True, 6, None, None)


def test_only_entries_recorded_before_the_date_go(engine: Engine) -> None:
    fill(engine, 10)
    assert prune(engine, before=START + timedelta(days=5)) == 5
    assert ids(engine) == [6, 7, 8, 9, 10]
    assert prune(engine, before=START + timedelta(days=5)) == 0
    assert verify(engine) == AuditVerification(True, 5, None, None)


def test_batches_prune_everything_due_then_nothing(engine: Engine) -> None:
    fill(engine, 10)
    before = START + timedelta(days=7)
    batches = []
    while pruned := prune(engine, before=before, limit=3):
        batches.append(pruned)
    assert batches == [3, 3, 1]
    assert ids(engine) == [8, 9, 10]
    assert verify(engine).ok


def test_the_sweep_records_its_own_entry_after_pruning(engine: Engine) -> None:
    fill(engine, 6)
    with UnitOfWork(engine, write=True) as uow:
        pruned = prune_audit(uow.connection, before=START + timedelta(days=30), limit=100)
        append_audit(
            uow.connection,
            action="audit.pruned",
            actor="sweep",
            details={"records": pruned},
            recorded_at=START + timedelta(days=3650),
        )
        uow.commit()
    assert ids(engine) == [7]
    assert verify(engine) == AuditVerification(True, 1, None, None)


def test_pruning_the_whole_log_leaves_a_verifiable_empty_chain(engine: Engine) -> None:
    fill(engine, 4)
    last = hash_of(engine, 4)
    assert prune(engine, before=START + timedelta(days=30)) == 4
    assert ids(engine) == []
    assert head(engine) == AuditHead(last_id=4, hash=last, anchor_id=4, anchor_hash=last)
    assert verify(engine) == AuditVerification(True, 0, None, None)
    fill(engine, 2, start=START + timedelta(days=40))
    assert ids(engine) == [5, 6]
    assert verify(engine) == AuditVerification(True, 2, None, None)


def test_an_empty_log_prunes_nothing_and_creates_no_head(engine: Engine) -> None:
    assert prune(engine, before=START) == 0
    assert head(engine) is None
    assert verify(engine) == AuditVerification(True, 0, None, None)


def test_a_later_entry_stops_the_prefix(engine: Engine) -> None:
    # An entry written "as of" a later date sits before older ones: the prefix stops there.
    fill(engine, 2)
    fill(engine, 1, start=START + timedelta(days=400))
    fill(engine, 3, start=START + timedelta(days=3))
    assert prune(engine, before=START + timedelta(days=100)) == 2
    assert ids(engine) == [3, 4, 5, 6]
    assert verify(engine).ok


def test_an_entry_recorded_exactly_at_the_date_stays(engine: Engine) -> None:
    fill(engine, 3)
    assert prune(engine, before=START + timedelta(days=1)) == 1
    assert ids(engine) == [2, 3]


def test_pruning_stops_before_a_modified_entry(engine: Engine) -> None:
    # Retention must not erase the evidence of tampering: the broken entry stays, and shows.
    fill(engine, 10)
    cast = "CAST(:d AS JSONB)" if engine.dialect.name == "postgresql" else ":d"
    with engine.begin() as connection:
        connection.execute(
            text(f"UPDATE audit_entry SET details = {cast} WHERE id = 4"),
            {"d": json.dumps({"count": 99})},
        )
    assert prune(engine, before=START + timedelta(days=100)) == 3
    result = verify(engine)
    assert (result.first_broken_id, result.problem) == (4, "its content does not match its hash")


def test_pruning_stops_at_a_deleted_entry(engine: Engine) -> None:
    fill(engine, 10)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_entry WHERE id = 4"))
    assert prune(engine, before=START + timedelta(days=100)) == 3
    result = verify(engine)
    assert (result.first_broken_id, result.problem) == (5, "entry 4 is missing")


def test_pruning_reads_in_chunks(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("gardien.store.audit.CHUNK", 3)
    fill(engine, 20)
    assert prune(engine, before=START + timedelta(days=12), limit=100) == 12
    assert ids(engine)[0] == 13
    assert verify(engine) == AuditVerification(True, 8, None, None)


def test_a_rolled_back_prune_changes_nothing(engine: Engine) -> None:
    fill(engine, 5)
    with UnitOfWork(engine, write=True) as uow:
        assert prune_audit(uow.connection, before=START + timedelta(days=30), limit=10) == 5
    assert ids(engine) == [1, 2, 3, 4, 5]
    assert head(engine) == AuditHead(5, hash_of(engine, 5), 0, GENESIS_HASH)


@pytest.mark.parametrize(
    ("before", "limit", "message"),
    [
        (START, 0, "limit must be positive"),
        (START, -5, "limit must be positive"),
        (START.replace(tzinfo=None), 10, "timezone-aware"),
    ],
)
def test_odd_arguments_are_refused(
    engine: Engine, before: datetime, limit: int, message: str
) -> None:
    fill(engine, 3)
    with UnitOfWork(engine, write=True) as uow, pytest.raises(ValueError, match=message):
        prune_audit(uow.connection, before=before, limit=limit)
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(audit_entry)).scalar() == 3
