"""A recorded full verification as a checkpoint: the console checks only what came after it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select, text

from gardien.cli.main import main
from gardien.domain.clock import FixedClock
from gardien.services import audit
from gardien.services.console import dashboard
from gardien.store.audit import append_audit
from gardien.store.tables import audit_entry
from gardien.store.uow import UnitOfWork
from tests.support.retention_samples import default_policy

pytestmark = pytest.mark.integration

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)


def _append(engine: Engine, count: int) -> None:
    with engine.begin() as connection:
        for n in range(count):
            append_audit(
                connection, action="test.event", actor="test", details={"n": n}, recorded_at=NOW
            )


def _tamper(engine: Engine, entry_id: int) -> None:
    # Bypass the application: what someone with database access could do.
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_entry SET actor = 'forger' WHERE id = :id"), {"id": entry_id}
        )


def test_recorded_verification_lets_the_next_check_start_after_it(engine: Engine) -> None:
    _append(engine, 50)
    full = audit.report(UnitOfWork(engine))
    assert full.verification.ok and full.verification.entries_checked == 50
    audit.record_verification(UnitOfWork(engine, write=True), full, clock=FixedClock(NOW))
    checkpoint = audit.last_checkpoint(UnitOfWork(engine))
    assert checkpoint is not None and (checkpoint.up_to, checkpoint.recorded_at) == (50, NOW)
    _append(engine, 7)
    since = (checkpoint.up_to, checkpoint.hash)
    partial = audit.report(UnitOfWork(engine), since=since).verification
    # The audit.verified entry itself and the seven after it.
    assert partial.ok and partial.entries_checked == 8

    _tamper(engine, 55)  # after the checkpoint: found by the cheap check
    broken = audit.report(UnitOfWork(engine), since=since).verification
    assert (broken.ok, broken.first_broken_id) == (False, 55)


def test_a_rewritten_checkpoint_entry_is_caught_older_ones_need_the_full_check(
    engine: Engine,
) -> None:
    _append(engine, 20)
    full = audit.report(UnitOfWork(engine))
    audit.record_verification(UnitOfWork(engine, write=True), full, clock=FixedClock(NOW))
    checkpoint = audit.last_checkpoint(UnitOfWork(engine))
    assert checkpoint is not None
    since = (checkpoint.up_to, checkpoint.hash)
    with engine.begin() as connection:
        connection.execute(text("UPDATE audit_entry SET hash = :h WHERE id = 20"), {"h": "0" * 64})
    caught = audit.report(UnitOfWork(engine), since=since).verification
    assert (caught.ok, caught.first_broken_id) == (False, 20)
    assert "last full verification" in (caught.problem or "")


def test_an_entry_before_the_checkpoint_is_left_to_the_nightly_full_check(engine: Engine) -> None:
    _append(engine, 20)
    full = audit.report(UnitOfWork(engine))
    audit.record_verification(UnitOfWork(engine, write=True), full, clock=FixedClock(NOW))
    checkpoint = audit.last_checkpoint(UnitOfWork(engine))
    assert checkpoint is not None
    _tamper(engine, 3)
    cheap = audit.report(UnitOfWork(engine), since=(checkpoint.up_to, checkpoint.hash))
    assert cheap.verification.ok  # by design: the incremental check starts after entry 20
    complete = audit.report(UnitOfWork(engine)).verification
    assert (complete.ok, complete.first_broken_id) == (False, 3)


def test_the_command_records_only_an_intact_chain(engine: Engine, database_url: str) -> None:
    _append(engine, 5)
    argv = ["--database-url", database_url, "audit", "verify", "--record"]
    assert main(argv) == 0
    with engine.connect() as connection:
        actions = (
            connection.execute(select(audit_entry.c.action).order_by(audit_entry.c.id))
            .scalars()
            .all()
        )
    assert actions[-1] == "audit.verified"
    _tamper(engine, 2)
    assert main(argv) == 1
    with engine.connect() as connection:
        recorded = (
            connection.execute(
                select(audit_entry.c.id).where(audit_entry.c.action == "audit.verified")
            )
            .scalars()
            .all()
        )
    assert len(recorded) == 1


def test_the_console_checks_from_the_last_recorded_verification(engine: Engine) -> None:
    _append(engine, 30)
    clock = FixedClock(NOW)
    first = dashboard(engine, policy=default_policy(), clock=clock)
    assert first.checkpoint is None and first.chain.entries_checked == 30
    full = audit.report(UnitOfWork(engine))
    audit.record_verification(UnitOfWork(engine, write=True), full, clock=clock)
    _append(engine, 2)
    board = dashboard(engine, policy=default_policy(), clock=clock)
    assert board.checkpoint is not None and board.checkpoint.up_to == 30
    assert board.chain.ok and board.chain.entries_checked == 3
