"""The web server's engine bounds each statement (``GARDIEN_DATABASE_STATEMENT_TIMEOUT_SECONDS``)
and its pool (``GARDIEN_DATABASE_POOL_SIZE``, ``GARDIEN_DATABASE_MAX_OVERFLOW``); the command
line's engine does neither (docs/postgresql.md). A statement past the timeout is a
StatementTimeoutError, and its transaction rolls back: nothing written."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, func, insert, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import QueuePool

from gardien.bootstrap import bootstrap
from gardien.errors import BusyError, GardienError, StatementTimeoutError
from gardien.settings import Settings
from gardien.store.engine import is_timed_out, make_engine
from gardien.store.tables import contact_message
from gardien.store.uow import UnitOfWork

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
POSTGRES_ONLY = pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)


def _slow(connection: Connection) -> None:
    """A statement that takes far longer than any timeout of these tests (a minute or more)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_sleep(60)"))
    else:  # no sleep in SQLite: count to ten billion
        connection.exec_driver_sql(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c"
            " WHERE x < 10000000000) SELECT count(*) FROM c"
        ).scalar_one()


def _write_a_message(connection: Connection) -> None:
    connection.execute(
        insert(contact_message).values(
            name="Ana Martin",
            email="ana.timeout@example.org",
            message="Bonjour, une question.",
            received_at=NOW,
            last_exchange_at=NOW,
        )
    )


def _messages(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(select(func.count()).select_from(contact_message)).scalar_one()
        )


def test_a_statement_past_the_timeout_is_a_gardien_error_and_nothing_is_written(
    database_url: str,
) -> None:
    engine = make_engine(database_url, statement_timeout=0.3)
    try:
        with pytest.raises(StatementTimeoutError) as caught, UnitOfWork(engine, write=True) as uow:
            _write_a_message(uow.connection)
            _slow(uow.connection)
            uow.commit()
        assert isinstance(caught.value, GardienError) and caught.value.exit_code == 1
        assert not isinstance(caught.value, BusyError)
        assert "nothing was written" in str(caught.value)
        assert is_timed_out(caught.value.__cause__ or Exception())  # the driver's, as cause
        assert _messages(engine) == 0
        # The connection went back to the pool usable: the same write, without the slow
        # statement, is committed.
        assert engine.pool.checkedout() == 0
        with UnitOfWork(engine, write=True) as uow:
            _write_a_message(uow.connection)
            uow.commit()
        assert _messages(engine) == 1
    finally:
        engine.dispose()


def test_the_web_engine_gets_the_pool_and_the_timeout_and_commands_do_not(
    database_url: str,
) -> None:
    settings = Settings(
        database_pool_size=3,
        database_max_overflow=1,
        database_statement_timeout_seconds=0.5,
        write_wait_seconds=0.2,  # below the statement timeout, as settings require
    )
    container = bootstrap(settings, database_url=database_url)
    web = container.for_web()
    try:
        pool = web.engine.pool
        assert isinstance(pool, QueuePool)
        assert pool.size() == 3
        held = [web.engine.connect() for _ in range(4)]
        try:
            assert pool.checkedout() == 4
            assert pool.overflow() == 1  # one past the pool
        finally:
            for connection in held:
                connection.close()
        with pytest.raises(StatementTimeoutError), web.engine.connect() as connection:
            _slow(connection)
        if web.engine.dialect.name == "postgresql":
            with web.engine.connect() as connection:
                assert connection.execute(text("SHOW statement_timeout")).scalar_one() == "500ms"
            with container.engine.connect() as connection:  # the command line's: no limit
                assert connection.execute(text("SHOW statement_timeout")).scalar_one() == "0"
        command_pool = container.engine.pool
        assert isinstance(command_pool, QueuePool) and command_pool.size() == 5  # SQLAlchemy's
    finally:
        web.close()
        container.close()


@POSTGRES_ONLY
def test_a_lock_wait_stays_a_busy_error_under_the_statement_timeout(database_url: str) -> None:
    # lock_timeout (the request's budget for a lock) runs out before statement_timeout:
    # a writer held up by another is told "busy", not "too long".
    engine = make_engine(database_url, write_wait=0.2, statement_timeout=5)
    holder = make_engine(database_url)
    try:
        with holder.connect() as held:
            held.execute(text("LOCK TABLE contact_message IN EXCLUSIVE MODE"))
            with pytest.raises(BusyError), UnitOfWork(engine, write=True) as uow:
                _write_a_message(uow.connection)
            held.rollback()
        assert _messages(engine) == 0
    finally:
        engine.dispose()
        holder.dispose()


@pytest.mark.parametrize("seconds", [0, -1.0])
def test_a_statement_timeout_that_is_not_positive_is_refused(seconds: float) -> None:
    with pytest.raises(GardienError, match="positive"):
        make_engine("sqlite://", statement_timeout=seconds)


def test_a_failed_statements_deadline_does_not_outlive_it_on_sqlite(tmp_path: Path) -> None:
    # SQLite's deadline is armed before each statement and lifted after it; a statement that
    # fails is lifted too, or the next plain cursor (the bulk writer's) would be stopped.
    engine = make_engine(f"sqlite:///{tmp_path / 'deadline.sqlite3'}", statement_timeout=0.2)
    try:
        with engine.connect() as connection:
            with pytest.raises(DBAPIError):
                connection.exec_driver_sql("SELECT * FROM no_such_table")
            time.sleep(0.3)  # past the failed statement's deadline
            raw: Any = connection.connection.dbapi_connection
            counted = raw.execute(
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c"
                " WHERE x < 200000) SELECT count(*) FROM c"
            ).fetchone()
            assert counted == (200000,)
    finally:
        engine.dispose()
