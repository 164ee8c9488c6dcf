"""Make two concurrent writers overlap for certain on PostgreSQL, for the race tests."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import Engine, select, text

from gardien.store.audit import append_audit
from gardien.store.tables import audit_head

GATE_TIME = datetime(2026, 1, 1, tzinfo=UTC)


@contextmanager
def audit_head_held(engine: Engine, *, waiters: int = 2) -> Iterator[Callable[[], None]]:
    """Hold the audit chain's head; yield a job releasing it once ``waiters`` sessions wait.

    Every audited write locks the head before it commits, so writers that reach it wait there
    with what they wrote so far uncommitted: a second writer of the same row then meets the
    first one's uncommitted row, which a barrier alone makes likely, not certain. Run the job
    with the writers (``run_together``). On SQLite, which admits one writer at a time from
    BEGIN IMMEDIATE on, there is no such overlap to arrange: the job does nothing.
    """
    if engine.dialect.name != "postgresql":
        yield lambda: None
        return
    with engine.connect() as gate:
        append_audit(gate, action="test.gate", actor="test", details={}, recorded_at=GATE_TIME)
        gate.commit()
        gate.execute(select(audit_head).with_for_update()).all()

        def release() -> None:
            try:
                wait_for_lock_waits(engine, waiters)
            finally:  # never leave the writers blocked
                gate.commit()

        try:
            yield release
        finally:
            gate.rollback()


def wait_for_lock_waits(engine: Engine, waiting: int) -> None:
    """Return once ``waiting`` sessions of this PostgreSQL database wait for a lock."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    deadline = time.monotonic() + 30
    with engine.connect() as connection:
        while connection.execute(query).scalar_one() < waiting:
            connection.rollback()
            assert time.monotonic() < deadline, f"{waiting} sessions never waited together"
            time.sleep(0.02)
