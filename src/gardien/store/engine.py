"""Engines for SQLite (embedded, WAL) and PostgreSQL (psycopg 3), with the same behaviour."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

from gardien.errors import ConfigurationError


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` and use the psycopg 3 driver for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite files get WAL, foreign keys and a busy timeout."""
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy raises ArgumentError, not a GardienError
        raise ConfigurationError(f"not a database URL: {url!r}") from exc
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, **_JSON)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if parsed.get_backend_name() == "postgresql":
        return create_engine(parsed, pool_pre_ping=True, **_JSON)
    raise ConfigurationError(
        f"unsupported database {parsed.get_backend_name()!r}: use sqlite or postgresql"
    )


def _json_text(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


# JSON columns (statements, audit details) through orjson, several times faster than the
# standard library; it writes the same compact text the bulk import writes (store/bulk.py).
_JSON: dict[str, Any] = {"json_serializer": _json_text, "json_deserializer": orjson.loads}


# Execution option naming how a SQLite transaction begins; see ``UnitOfWork(write=True)``.
SQLITE_BEGIN = "gardien_sqlite_begin"


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


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    assert isinstance(dbapi_connection, sqlite3.Connection)
    # gardien begins transactions itself (below), not the sqlite3 module, so that a writer
    # can take the write lock at BEGIN: a deferred transaction that reads, then tries to
    # write while another writer holds the lock, fails at once instead of waiting.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    mode = connection.get_execution_options().get(SQLITE_BEGIN, "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")
