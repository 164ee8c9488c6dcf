"""A writer that cannot get the lock within its wait: BusyError, nothing written, on SQLite
(the write lock, busy timeout) and PostgreSQL (a table lock, lock_timeout); the web waits its
request budget, the command line longer (docs/busy.md)."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text

from gardien.bootstrap import bootstrap
from gardien.errors import BusyError, GardienError
from gardien.services.website.contact import receive_message
from gardien.settings import Settings
from gardien.store.engine import SQLITE_BUSY_TIMEOUT_MS, is_busy, make_engine
from gardien.store.scrub import scrub_freed_pages
from gardien.store.tables import contact_message
from gardien.store.uow import UnitOfWork
from tests.support.locks import WriteLockHolder

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _send(engine: Engine) -> int:
    return receive_message(
        UnitOfWork(engine, write=True),
        name="Ana Martin",
        email="ana.busy@example.org",
        message="Bonjour, une question.",
        now=NOW,
    )


def _messages(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(select(func.count()).select_from(contact_message)).scalar_one()
        )


def test_a_writer_past_its_wait_gets_busy_error_and_nothing_is_written(database_url: str) -> None:
    engine = make_engine(database_url, write_wait=0.3)
    try:
        with WriteLockHolder(database_url, tables=["contact_message"]) as holder:
            with pytest.raises(BusyError) as caught:
                _send(engine)
            assert holder.holding  # the wait ran out while the lock was still held
        assert isinstance(caught.value, GardienError) and caught.value.exit_code == 1
        assert is_busy(caught.value.__cause__ or Exception())  # the driver's error, kept as cause
        assert _messages(engine) == 0
        # The connection went back to the pool, in a usable state: the same write succeeds.
        assert engine.pool.checkedout() == 0
        assert _send(engine) > 0
        assert _messages(engine) == 1
    finally:
        engine.dispose()


def _waits(engine: Engine) -> str:
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            return str(connection.exec_driver_sql("PRAGMA busy_timeout").scalar_one())
        return str(connection.execute(text("SHOW lock_timeout")).scalar_one())


def test_the_web_waits_its_request_budget_and_the_command_line_longer(database_url: str) -> None:
    container = bootstrap(Settings(write_wait_seconds=1.5), database_url=database_url)
    web = container.for_web()
    try:
        assert web.engine is not container.engine
        if container.engine.dialect.name == "sqlite":
            assert (_waits(web.engine), _waits(container.engine)) == (
                "1500",
                str(SQLITE_BUSY_TIMEOUT_MS),
            )
        else:
            assert (_waits(web.engine), _waits(container.engine)) == ("1500ms", "0")
    finally:
        web.close()
        container.close()


def test_an_engine_given_to_bootstrap_is_the_webs_too(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        container = bootstrap(database_url=database_url, engine=engine)
        assert container.for_web().engine is engine
    finally:
        engine.dispose()


@pytest.mark.parametrize("wait", [0, -1.0])
def test_a_wait_that_is_not_positive_is_refused(wait: float) -> None:
    with pytest.raises(GardienError, match="positive"):
        make_engine("sqlite://", write_wait=wait)


def test_only_a_plain_busy_is_a_wait_that_ran_out(tmp_path: Path) -> None:
    # SQLITE_BUSY_SNAPSHOT (a transaction that read, then wrote after another writer
    # committed) is a mistake in the code: it stays the driver's error (test_audit_concurrency).
    path = tmp_path / "snapshot.sqlite3"
    first = sqlite3.connect(path, isolation_level=None)
    second = sqlite3.connect(path, isolation_level=None)
    try:
        first.execute("PRAGMA journal_mode=WAL")
        first.execute("CREATE TABLE t (x)")
        second.execute("PRAGMA busy_timeout = 10")
        first.execute("BEGIN IMMEDIATE")
        with pytest.raises(sqlite3.OperationalError) as busy:
            second.execute("BEGIN IMMEDIATE")
        first.execute("ROLLBACK")
        second.execute("BEGIN")
        second.execute("SELECT * FROM t").fetchall()
        first.execute("INSERT INTO t VALUES (1)")
        with pytest.raises(sqlite3.OperationalError) as snapshot:
            second.execute("INSERT INTO t VALUES (2)")
        assert is_busy(busy.value) and not is_busy(snapshot.value)
        assert not is_busy(sqlite3.OperationalError("database is locked"))  # no code: unknown
    finally:
        first.close()
        second.close()


def test_the_checkpoint_after_an_erasure_gives_the_connection_its_own_wait_back(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'scrub.sqlite3'}", write_wait=0.5)
    try:
        with engine.connect() as connection:
            scrub_freed_pages(connection)
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar_one() == 500
    finally:
        engine.dispose()


def test_a_write_that_can_wait_for_later_does_not_wait_at_all(tmp_path: Path) -> None:
    # A session's touch (web/auth.py): with the lock taken, BusyError at once, not after the
    # engine's wait; the connection keeps its own wait for the next transaction.
    url = f"sqlite:///{tmp_path / 'touch.sqlite3'}"
    engine = make_engine(url, write_wait=30)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE t (x)")
        with WriteLockHolder(url) as holder:
            started = time.monotonic()
            with pytest.raises(BusyError), UnitOfWork(engine, write=True, wait=False):
                pass
            # Far below the engine's 30 s: it did not wait (a generous bound for a loaded CI).
            assert time.monotonic() - started < 10
            assert holder.holding
        assert _waits(engine) == "30000"
        with UnitOfWork(engine, write=True, wait=False) as uow:  # free: it writes
            uow.connection.exec_driver_sql("INSERT INTO t VALUES (1)")
            uow.commit()
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT count(*) FROM t").scalar_one() == 1
    finally:
        engine.dispose()
