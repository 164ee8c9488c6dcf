"""``gardien backup``: encrypted online backups of a SQLite database, and their restore.

- :func:`create_backup` copies the live database with SQLite's online backup API (one read
  transaction: a consistent snapshot while the server keeps writing, WAL readers never block
  writers), encrypts it (services/backup_crypto.py) and hands it to the backup store.
- :func:`restore_backup` fetches a backup, decrypts and checks it whole beside the database
  (a wrong key or a damaged file stops here, and the database is left as it was), then puts it
  in the database's place. The restored database lacks the erasures made after the backup:
  the web server refuses to start until ``gardien erasure replay`` has run.
- :func:`prune_backups` deletes the backups older than the policy's backup rule.

The plaintext copy exists only for the time of the command, owner-only, beside the database
(same disk, same protection), never in a shared temporary folder. PostgreSQL is backed up by
the managed service (docs/backups.md).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from gardien.errors import BackupError
from gardien.services.backup_crypto import BackupKey, decrypt_file, encrypt_file
from gardien.store.backup_store import BackupInfo, BackupStore, backup_name

Progress = Callable[[str, int, int], None]
POSTGRES_REFUSAL = (
    "gardien backup works on SQLite only: a PostgreSQL database is backed up by the managed"
    " service (OVHcloud Managed PostgreSQL: daily backups and point-in-time recovery); after"
    " any restore run `gardien erasure replay` (docs/backups.md)"
)
_SIDECARS = ("-wal", "-shm", "-journal")


def create_backup(
    database: Path,
    *,
    store: BackupStore,
    key: BackupKey,
    now: datetime,
    progress: Progress | None = None,
) -> BackupInfo:
    """Back ``database`` up, encrypted under ``key``, into ``store``; return what was stored."""
    if not database.is_file():
        raise BackupError(f"no database at {database}")
    with _scratch(database, ".sqlite3") as snapshot, _scratch(database, ".gbak") as sealed:
        _snapshot(database, snapshot)
        revision = _revision(snapshot)
        size = snapshot.stat().st_size
        meta = {"taken_at": now.isoformat(), "revision": revision, "size": size}
        with sealed.open("wb") as out:
            encrypt_file(
                snapshot,
                out,
                key=key,
                meta=meta,
                progress=_report(progress, "encrypting", size),
            )
        name = backup_name(now, revision)
        store.put(name, sealed)
        return BackupInfo(name=name, taken_at=now, revision=revision, size=sealed.stat().st_size)


def restore_backup(
    name: str,
    database: Path,
    *,
    store: BackupStore,
    keys: Sequence[BackupKey],
    progress: Progress | None = None,
) -> BackupInfo:
    """Put backup ``name`` in the place of ``database`` (which must not be in use).

    Everything is checked before the database is touched: the backup decrypts whole under one
    of ``keys``, and SQLite finds the result intact.
    """
    database.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with _scratch(database, ".gbak") as sealed, _scratch(database, ".sqlite3") as plain:
        store.fetch(name, sealed)
        total = sealed.stat().st_size
        with sealed.open("rb") as source, plain.open("wb") as target:
            header = decrypt_file(
                source,
                target,
                keys=keys,
                name=name,
                progress=_report(progress, "decrypting", total),
            )
            target.flush()
            os.fsync(target.fileno())
        revision = _revision(plain)
        if revision != str(header.get("revision")):
            raise BackupError(f"{name}: the database inside is not at the revision its header says")
        _check_intact(plain, name)
        _check_not_in_use(database)
        for suffix in _SIDECARS:  # the old database's log must never be applied to this one
            database.with_name(database.name + suffix).unlink(missing_ok=True)
        os.replace(plain, database)
        _sync_directory(database.parent)
    taken = datetime.fromisoformat(str(header["taken_at"]))
    return BackupInfo(name=name, taken_at=taken, revision=revision, size=total)


@dataclass(frozen=True)
class Pruned:
    """What :func:`prune_backups` deleted and kept."""

    deleted: list[BackupInfo]
    kept: list[BackupInfo]


def prune_backups(store: BackupStore, *, now: datetime, days: int) -> Pruned:
    """Delete the backups taken more than ``days`` days before ``now`` (the policy's rule)."""
    limit = now - timedelta(days=days)
    deleted: list[BackupInfo] = []
    kept: list[BackupInfo] = []
    for info in store.list():
        if info.taken_at < limit:
            store.delete(info.name)
            deleted.append(info)
        else:
            kept.append(info)
    return Pruned(deleted=deleted, kept=kept)


def _snapshot(database: Path, target: Path) -> None:
    """A consistent copy of ``database`` at ``target`` (SQLite's online backup API)."""
    try:
        source = sqlite3.connect(_uri(database, "mode=ro"), uri=True, timeout=60)
        try:
            copy = sqlite3.connect(target)
            try:
                # All pages in one step: one read transaction, so the copy is one snapshot
                # (a step-wise copy restarts each time a writer commits in between).
                source.backup(copy, pages=-1)
                # The copy is a database of its own, in rollback mode: one file to encrypt.
                copy.execute("PRAGMA journal_mode=DELETE")
            finally:
                copy.close()
        finally:
            source.close()
    except sqlite3.Error as error:
        raise BackupError(f"copying {database.name}: {error}") from None


def _revision(database: Path) -> str:
    try:
        connection = sqlite3.connect(_uri(database, "mode=ro&immutable=1"), uri=True)
        try:
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            connection.close()
    except sqlite3.Error:
        raise BackupError(f"{database.name} is not a gardien database") from None
    if row is None:
        raise BackupError(f"{database.name} has no schema revision")
    return str(row[0])


def _check_intact(database: Path, name: str) -> None:
    connection = sqlite3.connect(_uri(database, "mode=ro&immutable=1"), uri=True)
    try:
        (answer,) = connection.execute("PRAGMA integrity_check").fetchone()
    finally:
        connection.close()
    if answer != "ok":
        raise BackupError(f"{name}: SQLite finds the database inside damaged ({answer})")


def _check_not_in_use(database: Path) -> None:
    """Refuse to replace a database another process is writing (a running server's sweep).

    An idle server holding its connections open is not seen here: stop it first.
    """
    if not database.exists():
        return
    connection = sqlite3.connect(database, timeout=0)
    try:
        connection.execute("BEGIN EXCLUSIVE")
        connection.rollback()
    except sqlite3.OperationalError:
        raise BackupError(
            f"{database} is in use: stop the server and the timers before restoring"
        ) from None
    finally:
        connection.close()


def _uri(database: Path, query: str) -> str:
    """A SQLite URI for ``database`` (any character of its path escaped) with ``query``."""
    return f"{database.resolve().as_uri()}?{query}"


def _sync_directory(directory: Path) -> None:
    handle = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


@contextlib.contextmanager
def _scratch(database: Path, suffix: str) -> Iterator[Path]:
    """An owner-only scratch file beside ``database``, deleted afterwards whatever happens."""
    database.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=database.parent, prefix=".backup-", suffix=suffix)
    os.close(handle)
    path = Path(name)
    try:
        yield path
    finally:
        for extra in ("", *_SIDECARS):
            path.with_name(path.name + extra).unlink(missing_ok=True)


def _report(progress: Progress | None, kind: str, total: int) -> Callable[[int], None] | None:
    if progress is None:
        return None
    return lambda done: progress(kind, done, total)
