"""Concurrent appenders never fork the chain; verification reads a consistent log meanwhile."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.exc import OperationalError

from gardien.services import audit
from gardien.store.audit import AuditVerification, append_audit, prune_audit, verify_audit
from gardien.store.uow import UnitOfWork
from tests.support.threads import run_together

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def append_one(engine: Engine, writer: str, number: int, *, write: bool = False) -> int:
    with UnitOfWork(engine, write=write) as uow:
        entry_id = append_audit(
            uow.connection,
            action="sweep.batch",
            actor=writer,
            details={"writer": writer, "number": number},
            recorded_at=START + timedelta(seconds=number),
        )
        uow.commit()
    return entry_id


def verify(engine: Engine) -> AuditVerification:
    return audit.verify(UnitOfWork(engine))


@pytest.mark.parametrize("write", [False, True], ids=["deferred", "immediate"])
def test_two_writers_appending_at_once_make_one_chain(engine: Engine, write: bool) -> None:
    # The head does not exist yet: the first appends also race to create it.
    ids: dict[str, list[int]] = {"a": [], "b": []}

    def writer(name: str) -> Callable[[], None]:
        def job() -> None:
            for number in range(200):
                ids[name].append(append_one(engine, name, number, write=write))

        return job

    run_together(writer("a"), writer("b"))
    assert sorted(ids["a"] + ids["b"]) == list(range(1, 401))
    assert verify(engine) == AuditVerification(True, 400, None, None)


def test_a_writer_that_read_first_appends_safely_in_an_immediate_transaction(
    engine: Engine,
) -> None:
    # A sweep batch selects rows, erases them, then appends: UnitOfWork(write=True) takes
    # SQLite's write lock at BEGIN, so the read cannot go stale before the write.
    def sweeper(name: str) -> Callable[[], None]:
        def job() -> None:
            for number in range(100):
                with UnitOfWork(engine, write=True) as uow:
                    uow.connection.execute(text("SELECT count(*) FROM audit_entry")).scalar()
                    append_audit(
                        uow.connection,
                        action="sweep.batch",
                        actor=name,
                        details={"number": number},
                        recorded_at=START,
                    )
                    uow.commit()

        return job

    run_together(sweeper("a"), sweeper("b"))
    assert verify(engine) == AuditVerification(True, 200, None, None)


ONLY_POSTGRESQL = pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
ONLY_SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@ONLY_POSTGRESQL
def test_the_first_two_appenders_on_postgresql_do_not_fork(engine: Engine) -> None:
    # Deterministic: A creates the head and holds it; B must wait, then chain onto A's entry.
    second: list[int] = []
    with UnitOfWork(engine) as first:
        assert append_one_in(first.connection, "a") == 1
        thread = threading.Thread(target=lambda: second.append(append_one(engine, "b", 1)))
        thread.start()
        wait_for_a_lock_wait(engine)
        first.commit()
    thread.join(timeout=30)
    assert second == [2]
    assert verify(engine) == AuditVerification(True, 2, None, None)


@ONLY_SQLITE
def test_on_sqlite_a_transaction_that_read_first_must_begin_immediate(engine: Engine) -> None:
    # Why sweeps open UnitOfWork(write=True): a deferred transaction that has read holds an
    # old snapshot, and SQLite refuses (at once, without waiting) to let it write once another
    # writer has committed. The append is refused and the chain stays whole.
    append_one(engine, "a", 0)
    with UnitOfWork(engine) as reader:
        reader.connection.execute(text("SELECT count(*) FROM audit_entry")).scalar()
        append_one(engine, "b", 1)
        with pytest.raises(OperationalError, match="database is locked"):
            append_one_in(reader.connection, "c")
    assert verify(engine) == AuditVerification(True, 2, None, None)


def append_one_in(connection: Connection, writer: str) -> int:
    return append_audit(connection, action="x", actor=writer, details={}, recorded_at=START)


def wait_for_a_lock_wait(engine: Engine) -> None:
    """Return once some session of this database waits for a lock."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    deadline = time.monotonic() + 30
    with engine.connect() as connection:
        while connection.execute(query).scalar() == 0:
            connection.rollback()
            assert time.monotonic() < deadline, "the second appender never waited"
            time.sleep(0.02)


@contextmanager
def between_chunks(connection: Connection, action: Callable[[], None]) -> Iterator[None]:
    """Run ``action`` (on other connections) right after the first chunk of entries is read."""
    done = False

    def after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        nonlocal done
        if not done and "FROM audit_entry" in statement and "ORDER BY" in statement:
            done = True
            action()

    event.listen(connection, "after_cursor_execute", after)
    try:
        yield
    finally:
        event.remove(connection, "after_cursor_execute", after)
    assert done


def fill(engine: Engine, count: int) -> None:
    with engine.begin() as connection:
        for number in range(count):
            append_one_in(connection, f"w{number}")


def test_appends_during_verification_are_not_taken_for_tampering(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # verify_audit on a plain connection: READ COMMITTED on PostgreSQL, each chunk a new view.
    monkeypatch.setattr("gardien.store.audit.CHUNK", 5)
    fill(engine, 20)
    with engine.connect() as connection:
        with between_chunks(connection, lambda: fill(engine, 3)):
            result = verify_audit(connection)
        connection.rollback()
    assert result == AuditVerification(True, 20, None, None)
    assert verify(engine) == AuditVerification(True, 23, None, None)


def test_a_prune_during_verification_is_not_taken_for_tampering(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("gardien.store.audit.CHUNK", 5)
    fill(engine, 20)

    def prune() -> None:
        with UnitOfWork(engine, write=True) as uow:
            assert prune_audit(uow.connection, before=START + timedelta(days=1), limit=12) == 12
            uow.commit()

    with engine.connect() as connection:
        with between_chunks(connection, prune):
            result = verify_audit(connection)
        connection.rollback()
    # PostgreSQL (READ COMMITTED) sees the prune and goes on from the new anchor; SQLite's
    # transaction keeps the snapshot of its first read and checks all twenty.
    checked = 5 + 8 if engine.dialect.name == "postgresql" else 20
    assert result == AuditVerification(True, checked, None, None)
    assert verify(engine) == AuditVerification(True, 8, None, None)


def test_verification_while_writers_append(engine: Engine) -> None:
    fill(engine, 50)
    results: list[AuditVerification] = []
    stop = threading.Event()

    def writer() -> None:
        number = 0
        while not stop.is_set():
            append_one(engine, "w", number)
            number += 1

    def verifier() -> None:
        try:
            for _ in range(10):
                results.append(verify(engine))
        finally:
            stop.set()

    run_together(writer, verifier)
    assert all(result.ok for result in results), results
    assert verify(engine).ok
