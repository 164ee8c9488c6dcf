"""Leave no readable copy of erased rows in the SQLite files.

Every SQLite connection runs with ``secure_delete`` (store/engine.py): a deleted row's bytes are
overwritten with zeros in its page, and freed pages are zeroed. In WAL mode the pages written
before the deletion still sit in the ``-wal`` file, as long as a connection keeps the database
open (the web app always does) and until a checkpoint empties it. ``scrub_freed_pages`` runs that
checkpoint in TRUNCATE mode right after an erasure or a sweep: the zeroed pages go to the main
file and the WAL is cut to zero bytes.

PostgreSQL has no equivalent switch: what stays after a DELETE there, and how a deployment
bounds it, is in docs/freed-data.md.
"""

from __future__ import annotations

import enum
import logging
import sqlite3
import time
from typing import Any

from sqlalchemy import Connection, Engine

log = logging.getLogger(__name__)

# A TRUNCATE checkpoint waits (through the busy handler) for every reader to move to the latest
# snapshot; the erasure is already committed, so it waits briefly rather than holding the
# person's answer for the connection's whole busy timeout.
ATTEMPTS = 5
ATTEMPT_TIMEOUT_MS = 100
PAUSE_SECONDS = 0.05


class Scrub(enum.Enum):
    """What :func:`scrub_freed_pages` achieved."""

    # The WAL was copied into the main file and truncated to zero bytes.
    TRUNCATED = "truncated"
    # A reader kept an older snapshot through every attempt: the WAL still holds old pages.
    BUSY = "busy"
    # Not a SQLite file in WAL mode (PostgreSQL, an in-memory database): nothing to do here.
    NOT_APPLICABLE = "not applicable"


def scrub_freed_pages(
    bind: Engine | Connection,
    *,
    attempts: int = ATTEMPTS,
    attempt_timeout_ms: int = ATTEMPT_TIMEOUT_MS,
    pause_seconds: float = PAUSE_SECONDS,
) -> Scrub:
    """Checkpoint a SQLite database in TRUNCATE mode, so no erased row survives in its WAL.

    Call it after a committed erasure, outside any transaction (a ``Connection`` must not be in
    one). When readers on older snapshots keep the checkpoint from completing, it tries
    ``attempts`` times and then logs a warning instead of failing: the data is erased already,
    and the next checkpoint will finish the job. A no-op on PostgreSQL.
    """
    if bind.dialect.name != "sqlite":
        return Scrub.NOT_APPLICABLE
    if isinstance(bind, Engine):
        with bind.connect() as connection:
            return _checkpoint(connection, attempts, attempt_timeout_ms, pause_seconds)
    return _checkpoint(bind, attempts, attempt_timeout_ms, pause_seconds)


def _checkpoint(
    connection: Connection, attempts: int, attempt_timeout_ms: int, pause_seconds: float
) -> Scrub:
    if connection.in_transaction():
        # Our own snapshot would be the reader that stops the checkpoint.
        raise RuntimeError("scrub_freed_pages needs a connection outside a transaction")
    # The DB-API connection runs in autocommit (engine.py): a PRAGMA through it begins nothing.
    dbapi: Any = connection.connection.dbapi_connection
    assert isinstance(dbapi, sqlite3.Connection)
    frames = (0, 0)
    # The connection's own timeout is the engine's (the web's is shorter than the CLI's).
    own_timeout = int(dbapi.execute("PRAGMA busy_timeout").fetchone()[0])
    dbapi.execute(f"PRAGMA busy_timeout = {attempt_timeout_ms}")
    try:
        for attempt in range(attempts):
            if attempt:
                time.sleep(pause_seconds)
            try:
                busy, log_frames, checkpointed = dbapi.execute(
                    "PRAGMA wal_checkpoint(TRUNCATE)"
                ).fetchone()
            except sqlite3.OperationalError:
                # "database is locked" from another checkpointer: the same as busy.
                continue
            if log_frames == -1:
                return Scrub.NOT_APPLICABLE  # not in WAL mode (an in-memory database)
            if not busy:
                return Scrub.TRUNCATED
            frames = (checkpointed, log_frames)
    finally:
        dbapi.execute(f"PRAGMA busy_timeout = {own_timeout}")
    log.warning(
        "sqlite checkpoint incomplete after %d attempts (%d of %d WAL frames copied): a reader "
        "holds an older snapshot; freed pages stay in the WAL until the next checkpoint",
        attempts,
        *frames,
    )
    return Scrub.BUSY
