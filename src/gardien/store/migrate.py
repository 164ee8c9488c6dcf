"""Alembic, driven from code: upgrade to head, and refuse a database that is not there yet.

Two instances that start together (two servers, a deploy and a timer) may both run
``gardien db upgrade``: :func:`upgrade` holds a lock around the migrations, so the second waits
for the first, then finds the schema at head and does nothing. On PostgreSQL a session-level
advisory lock (:data:`MIGRATION_LOCK_KEY`) on a connection of its own; on SQLite an exclusive
lock on a file beside the database (docs/postgresql.md, "Migrations run once").
"""

from __future__ import annotations

import fcntl
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from gardien.errors import DatabaseNotReadyError

log = logging.getLogger(__name__)

# The advisory lock every gardien migration takes on PostgreSQL: "gardien\0" in ASCII, read
# as a big-endian bigint (0x6761726469656E00). Fixed, so that every version of gardien takes
# the same one; documented, so that an operator can see it in pg_locks (objid, classid).
MIGRATION_LOCK_KEY = 7449361034238062080

# Beside a SQLite database file, the file whose lock the migrations hold (left in place:
# removing it would let a waiter lock a file nobody else sees).
SQLITE_LOCK_SUFFIX = ".migrate-lock"

if TYPE_CHECKING:
    from gardien.domain.xapi.pseudonyms import Pseudonyms


def alembic_config(engine: Engine, *, pseudonyms: Pseudonyms | None = None) -> Config:
    """An Alembic configuration pointing at the migrations shipped in the package.

    ``pseudonyms`` (the server key and public URL) is what migration 0009 stores the
    statements parked by earlier versions under; without it, it reads the environment.
    """
    config = Config()
    config.set_main_option("script_location", "gardien.store:migrations")
    config.attributes["engine"] = engine
    if pseudonyms is not None:
        config.attributes["pseudonyms"] = pseudonyms
    return config


def head_revision() -> str:
    heads = ScriptDirectory.from_config(alembic_config_for_scripts()).get_heads()
    return heads[0]


def alembic_config_for_scripts() -> Config:
    config = Config()
    config.set_main_option("script_location", "gardien.store:migrations")
    return config


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty (unmigrated) database."""
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except OperationalError as exc:
        raise DatabaseNotReadyError(
            f"cannot reach the database ({exc.orig.__class__.__name__})"
        ) from None


def upgrade(
    engine: Engine,
    *,
    pseudonyms: Pseudonyms | None = None,
    on_wait: Callable[[], None] | None = None,
) -> list[str]:
    """Apply every migration not yet applied (``pseudonyms``: see :func:`alembic_config`);
    return the revisions Alembic ran, oldest first (none: the schema was at head already).

    One instance at a time (:func:`migration_lock`): another that runs meanwhile waits (and
    calls ``on_wait`` first), then finds nothing left to do.
    """
    config = alembic_config(engine, pseudonyms=pseudonyms)
    applied: list[str] = []
    config.attributes["applied"] = applied  # filled by migrations/env.py, step by step
    with migration_lock(engine, on_wait=on_wait):
        command.upgrade(config, "head")
    return applied


def revisions_after(revision: str | None) -> list[str]:
    """The revisions from ``revision`` (excluded; None: the empty database) to head."""
    script = ScriptDirectory.from_config(alembic_config_for_scripts())
    newer: list[str] = []
    for step in script.walk_revisions():  # head first; the history is one line
        if step.revision == revision:
            break
        newer.append(step.revision)
    return newer[::-1]


@contextmanager
def migration_lock(engine: Engine, *, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold the migrations' lock for ``engine``'s database while the block runs.

    PostgreSQL: ``pg_advisory_lock(MIGRATION_LOCK_KEY)``, session-level, on a connection of its
    own kept out of any transaction (the migrations run on another); it is released when the
    block ends, or by the server when the process dies. SQLite: ``flock`` on the file beside
    the database (released likewise). A database in memory is one process's: no lock.
    ``on_wait`` is called when another instance holds the lock, before waiting for it.
    """
    waiting = _waiting(on_wait)
    if engine.dialect.name == "postgresql":
        with _advisory_lock(engine, waiting):
            yield
        return
    database = engine.url.database or ""
    if database in ("", ":memory:") or database.startswith("file::memory:"):
        yield
        return
    with _file_lock(Path(database + SQLITE_LOCK_SUFFIX), waiting):
        yield


def _waiting(on_wait: Callable[[], None] | None) -> Callable[[], None]:
    def waiting() -> None:
        log.info("another instance is migrating the database: waiting for it to finish")
        if on_wait is not None:
            on_wait()

    return waiting


@contextmanager
def _advisory_lock(engine: Engine, waiting: Callable[[], None]) -> Iterator[None]:
    try:
        connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    except OperationalError as exc:
        raise DatabaseNotReadyError(
            f"cannot reach the database ({exc.orig.__class__.__name__})"
        ) from None
    with connection:
        key = {"key": MIGRATION_LOCK_KEY}
        taken = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), key).scalar()
        if not taken:
            waiting()
            connection.execute(text("SELECT pg_advisory_lock(:key)"), key)
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), key)


@contextmanager
def _file_lock(path: Path, waiting: Callable[[], None]) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            waiting()
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_migrated(engine: Engine) -> None:
    """Raise :class:`DatabaseNotReadyError` unless the schema is at the migrations' head."""
    current = current_revision(engine)
    if current != head_revision():
        state = "empty (never migrated)" if current is None else f"at revision {current}"
        raise DatabaseNotReadyError(
            f"the database is {state}, not at {head_revision()}: run 'gardien db upgrade' first"
        )
