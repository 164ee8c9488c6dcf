"""Engines for SQLite (embedded, WAL) and PostgreSQL (psycopg 3), with the same behaviour.

How long a writer waits for a lock another writer holds is the engine's: the command line
waits long (10 s on SQLite, as long as it takes on PostgreSQL), the web app only its request
budget (``make_engine(url, write_wait=...)``, ``GARDIEN_WRITE_WAIT_SECONDS``). Either way a wait
that runs out is a :class:`~gardien.errors.BusyError`, never a driver's error (docs/busy.md).

The web server's engine also bounds each statement (``statement_timeout``, a
:class:`~gardien.errors.StatementTimeoutError` past it) and its pool; PostgreSQL over the
network is verified against a CA file (``ca_file``). docs/postgresql.md says who gets what.
"""

from __future__ import annotations

import math
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, ExceptionContext, make_url
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.pool import ConnectionPoolEntry, QueuePool

from gardien.errors import (
    BusyError,
    ConfigurationError,
    DatabaseNotReadyError,
    StatementTimeoutError,
)
from gardien.store.write_gate import BUSY, WRITERS_LOCK_SUFFIX, WriteGate, add_gate


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` and use the psycopg 3 driver for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(
    url: str,
    *,
    write_wait: float | None = None,
    background_checkpoints: bool = False,
    statement_timeout: float | None = None,
    pool_size: int | None = None,
    max_overflow: int | None = None,
    ca_file: Path | None = None,
) -> Engine:
    """An engine for ``url``; SQLite files get WAL, foreign keys and a busy timeout.

    ``write_wait`` (seconds) bounds how long a statement waits for a lock held by another
    writer: SQLite's busy timeout, PostgreSQL's ``lock_timeout``. None keeps the command
    line's waits (:data:`SQLITE_BUSY_TIMEOUT_MS`; no limit on PostgreSQL).
    ``background_checkpoints``: on SQLite, commits leave WAL checkpoints to a
    :class:`~gardien.store.checkpoints.Checkpointer` the caller runs (the web server's).
    ``statement_timeout`` (seconds; None: no limit) bounds how long one statement runs:
    PostgreSQL's ``statement_timeout``, on SQLite a progress handler; past it,
    :class:`~gardien.errors.StatementTimeoutError` and the transaction rolls back.
    ``pool_size`` and ``max_overflow``: the connections the pool keeps, and how many more it
    opens under load (None: SQLAlchemy's 5 and 10).
    ``ca_file``: PostgreSQL's ``sslrootcert`` (the CA that signed the server's certificate);
    with it and no ``sslmode`` in the URL, ``sslmode=verify-full``.
    """
    if write_wait is not None and not write_wait > 0:
        raise ConfigurationError("the wait for a lock must be a positive number of seconds")
    if statement_timeout is not None and not statement_timeout > 0:
        raise ConfigurationError("a statement timeout must be a positive number of seconds")
    wait_ms = None if write_wait is None else max(1, math.ceil(write_wait * 1000))
    timeout_ms = None if statement_timeout is None else max(1, math.ceil(statement_timeout * 1000))
    # A request waits for a free connection as long as for a lock, then BusyError (a 503), not
    # SQLAlchemy's TimeoutError (a 500) after its own 30 s.
    pool: dict[str, Any] = {"poolclass": WaitingPool}
    if write_wait is not None:
        pool["pool_timeout"] = write_wait
    if pool_size is not None:
        pool["pool_size"] = pool_size
    if max_overflow is not None:
        pool["max_overflow"] = max_overflow
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except Exception:  # sqlalchemy raises ArgumentError, not a GardienError
        # Not the URL itself: it may hold a password, and this message reaches logs.
        scheme = url.partition("://")[0] if "://" in url else "no scheme"
        raise ConfigurationError(
            f"not a database URL (scheme {scheme[:40]!r}; the rest is not shown: it may hold a"
            " password)"
        ) from None
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        in_memory = database in ("", ":memory:") or parsed.query.get("mode") == "memory"
        if not in_memory:
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        # A database in memory lives in one connection per thread (SingletonThreadPool): no
        # pool to size.
        engine = create_engine(parsed, **({} if in_memory else pool), **_JSON)
        event.listen(
            engine,
            "connect",
            _sqlite_pragmas(
                wait_ms or SQLITE_BUSY_TIMEOUT_MS,
                autocheckpoint=CHECKPOINT_FALLBACK_PAGES if background_checkpoints else None,
            ),
        )
        event.listen(engine, "begin", _sqlite_begin)
        if timeout_ms is not None:
            _sqlite_statement_timeout(engine, timeout_ms)
        add_gate(
            engine,
            WriteGate(
                wait_ms or SQLITE_BUSY_TIMEOUT_MS,
                None if in_memory else Path(database + WRITERS_LOCK_SUFFIX),
            ),
        )
        event.listen(engine, "handle_error", _raise_gardien_error)
        return engine
    if parsed.get_backend_name() == "postgresql":
        parsed = with_ca_file(parsed, ca_file)
        engine = create_engine(parsed, pool_pre_ping=True, **pool, **_JSON)
        if wait_ms is not None or timeout_ms is not None:
            event.listen(engine, "connect", _postgres_timeouts(wait_ms, timeout_ms))
        event.listen(engine, "handle_error", _raise_gardien_error)
        return engine
    raise ConfigurationError(
        f"unsupported database {parsed.get_backend_name()!r}: use sqlite or postgresql"
    )


POOL_EXHAUSTED = "every database connection stayed in use: nothing was written, try again"


class WaitingPool(QueuePool):
    """SQLAlchemy's queue pool, whose wait for a free connection ends as a wait for a lock
    does: :class:`~gardien.errors.BusyError` (the web answers 503 with ``Retry-After``)."""

    # Its log lines under SQLAlchemy's pool logger, configured as SQLAlchemy's (not gardien's).
    _sqla_logger_namespace = "sqlalchemy.pool.impl.QueuePool"

    def _do_get(self) -> ConnectionPoolEntry:
        try:
            return super()._do_get()
        except PoolTimeoutError:
            raise BusyError(POOL_EXHAUSTED) from None


def with_ca_file(url: URL, ca_file: Path | None) -> URL:
    """``url`` verifying the server against ``ca_file`` (``GARDIEN_DATABASE_CA_FILE``).

    The CA goes into the URL itself (``sslrootcert``), so that an engine made again from this
    engine's URL (a purge's thread) verifies the same way. Without ``sslmode`` in the URL,
    ``verify-full``: libpq's default (``prefer``) would not verify anything. A URL that names
    another CA file is refused rather than one of the two chosen silently; a CA file that does
    not exist is refused before any connection (libpq would say so only at the first one).
    """
    query = dict(url.query)
    named = query.get("sslrootcert")
    if isinstance(named, tuple):
        named = named[-1]
    if ca_file is not None:
        if named is not None and Path(named).resolve() != ca_file.resolve():
            raise ConfigurationError(
                "GARDIEN_DATABASE_CA_FILE and the database URL's sslrootcert name different"
                " files: keep one"
            )
        query["sslrootcert"] = str(ca_file)
        query.setdefault("sslmode", "verify-full")
        named = str(ca_file)
    # "system": libpq 16's word for the operating system's trusted CAs.
    if named is not None and named != "system" and not Path(named).is_file():
        raise ConfigurationError(f"the database CA file {named!r} does not exist")
    return url.set(query=query)


def _json_text(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


# JSON columns (statements, audit details) through orjson, several times faster than the
# standard library; it writes the same compact text the bulk import writes (store/bulk.py).
_JSON: dict[str, Any] = {"json_serializer": _json_text, "json_deserializer": orjson.loads}


# Execution option naming how a SQLite transaction begins; see ``UnitOfWork(write=True)``.
SQLITE_BEGIN = "gardien_sqlite_begin"
# Execution option: on SQLite, how long BEGIN may wait for the lock (ms; 0: not at all, see
# ``UnitOfWork(wait=False)``); unset, the connection's busy timeout.
SQLITE_WAIT_MS = "gardien_sqlite_wait_ms"


# With ``background_checkpoints``, pages (4 KiB) past which a committing connection checkpoints
# the WAL itself (SQLite's own mechanism), should store/checkpoints.py's thread fall behind:
# about 80 MB, a bound, never the usual path.
CHECKPOINT_FALLBACK_PAGES = 20_000

# How long a SQLite connection waits for a lock before it gives up.
SQLITE_BUSY_TIMEOUT_MS = 10_000

# Set on every SQLite connection (the benchmarks' plain connections use the same). A larger
# page cache or memory-mapped I/O made no measurable difference to the sweep benchmark.
# secure_delete overwrites a deleted row's bytes, and freed pages, with zeros: an erased
# person must not stay readable in the file's free space. Some builds (Debian's) turn it on by
# default, others do not, so it is set here. The WAL is emptied by store/scrub.py.
SQLITE_PRAGMAS = (
    "journal_mode=WAL",
    "synchronous=NORMAL",
    "foreign_keys=ON",
    f"busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
    "secure_delete=ON",
)


def _sqlite_pragmas(
    busy_timeout_ms: int, *, autocheckpoint: int | None = None
) -> Callable[[Any, Any], None]:
    def configure(dbapi_connection: Any, _record: Any) -> None:
        assert isinstance(dbapi_connection, sqlite3.Connection)
        # gardien begins transactions itself (below), not the sqlite3 module, so that a writer
        # can take the write lock at BEGIN: a deferred transaction that reads, then tries to
        # write while another writer holds the lock, fails at once instead of waiting.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(f"PRAGMA {pragma}")
        if busy_timeout_ms != SQLITE_BUSY_TIMEOUT_MS:
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        if autocheckpoint is not None:
            cursor.execute(f"PRAGMA wal_autocheckpoint={int(autocheckpoint)}")
        cursor.close()

    return configure


def _postgres_timeouts(lock_ms: int | None, statement_ms: int | None) -> Callable[[Any, Any], None]:
    def configure(dbapi_connection: Any, _record: Any) -> None:
        # Session settings, so they last as long as the pooled connection; SETs in a
        # transaction of their own, committed, so the pool hands the connection out idle.
        with dbapi_connection.cursor() as cursor:
            if lock_ms is not None:
                cursor.execute(f"SET lock_timeout = {int(lock_ms)}")
            if statement_ms is not None:
                cursor.execute(f"SET statement_timeout = {int(statement_ms)}")
        dbapi_connection.commit()

    return configure


# Where a SQLite connection's statement deadline lives (its pool record's ``info``), and how
# many virtual-machine steps run between two looks at the clock (about a millisecond's work).
_DEADLINE = "gardien_statement_deadline"
_SQLITE_PROGRESS_STEPS = 10_000


def _sqlite_statement_timeout(engine: Engine, timeout_ms: int) -> None:
    """SQLite has no statement timeout: a progress handler interrupts a statement that runs
    past ``timeout_ms`` (SQLITE_INTERRUPT, then :class:`StatementTimeoutError`). The deadline
    is set before each statement and lifted once it has returned its first row: like
    PostgreSQL's, it bounds the database's work, not the caller's reading of the rows."""

    @event.listens_for(engine, "connect")
    def install(dbapi_connection: Any, record: Any) -> None:
        info: dict[str, Any] = record.info

        def past_deadline() -> int:
            deadline = info.get(_DEADLINE)
            return 1 if deadline is not None and time.monotonic() > deadline else 0

        dbapi_connection.set_progress_handler(past_deadline, _SQLITE_PROGRESS_STEPS)

    @event.listens_for(engine, "before_cursor_execute")
    def arm(connection: Connection, *_args: Any) -> None:
        connection.info[_DEADLINE] = time.monotonic() + timeout_ms / 1000

    @event.listens_for(engine, "after_cursor_execute")
    def disarm(connection: Connection, *_args: Any) -> None:
        connection.info[_DEADLINE] = None

    # A statement that failed never reaches after_cursor_execute: its deadline must not
    # outlive it (the bulk writer's plain cursors, store/bulk.py, run without one).
    @event.listens_for(engine, "handle_error")
    def disarm_on_error(context: ExceptionContext) -> None:
        connection = context.connection
        if connection is not None and not connection.invalidated:
            connection.info[_DEADLINE] = None

    @event.listens_for(engine, "checkin")
    def disarm_on_checkin(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[_DEADLINE] = None


# PostgreSQL's SQLSTATE for a lock not granted within lock_timeout.
_LOCK_NOT_AVAILABLE = "55P03"


def is_busy(error: BaseException) -> bool:
    """Whether a driver's error means "another writer holds the lock and the wait ran out".

    Only plain SQLITE_BUSY: SQLITE_BUSY_SNAPSHOT (a deferred transaction that read, then
    tried to write after another writer committed) is a mistake in the code, not a wait.
    """
    if isinstance(error, sqlite3.OperationalError):
        return getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_BUSY
    return getattr(error, "sqlstate", None) == _LOCK_NOT_AVAILABLE


TIMED_OUT = "a database statement ran past its time limit: nothing was written"

# PostgreSQL's SQLSTATE for a statement cancelled (statement_timeout, or pg_cancel_backend).
_QUERY_CANCELED = "57014"


def is_timed_out(error: BaseException) -> bool:
    """Whether a driver's error means "the statement ran past its statement timeout"."""
    if isinstance(error, sqlite3.OperationalError):
        return getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_INTERRUPT
    return getattr(error, "sqlstate", None) == _QUERY_CANCELED


def _raise_gardien_error(context: ExceptionContext) -> None:
    """A driver's error that means something to gardien, as gardien's own error.

    SQLAlchemy rolls back and cleans up as usual, then raises this instead of its own.
    """
    original = context.original_exception
    if is_busy(original):
        raise BusyError(BUSY) from original
    if is_timed_out(original):
        raise StatementTimeoutError(TIMED_OUT) from original
    if context.connection is None and not context.is_pre_ping and isinstance(original, Exception):
        _raise_not_connected(original)


def _raise_not_connected(original: BaseException) -> None:
    """No connection could be made (refused, TLS not verified, password refused).

    The driver's first line says why (libpq names host and port, never the password); the URL
    is not repeated.
    """
    reason = " ".join(line.strip() for line in str(original).splitlines() if line.strip())
    raise DatabaseNotReadyError(
        "cannot connect to the database: " + (reason[:500] or type(original).__name__)
    ) from original


def _sqlite_begin(connection: Connection) -> None:
    options = connection.get_execution_options()
    mode = options.get(SQLITE_BEGIN, "DEFERRED")
    wait_ms = options.get(SQLITE_WAIT_MS)
    if wait_ms is None:
        connection.exec_driver_sql(f"BEGIN {mode}")
        return
    # The busy timeout only matters to take the lock: once BEGIN IMMEDIATE holds it, the
    # statements and the commit (WAL) wait for nobody, so the connection's own is put back.
    dbapi: Any = connection.connection.dbapi_connection
    own = int(dbapi.execute("PRAGMA busy_timeout").fetchone()[0])
    dbapi.execute(f"PRAGMA busy_timeout = {int(wait_ms)}")
    try:
        connection.exec_driver_sql(f"BEGIN {mode}")
    finally:
        dbapi.execute(f"PRAGMA busy_timeout = {own}")
