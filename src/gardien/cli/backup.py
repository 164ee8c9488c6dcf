"""``gardien backup``: encrypted backups of the SQLite database (create, list, restore, prune).

Made to run unattended from a timer (``gardien backup create`` then ``gardien backup prune``):
neither asks anything. ``restore`` replaces a database and so asks first, on a terminal, or
wants ``--yes``. On PostgreSQL every subcommand refuses and points to docs/backups.md.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import typer

from gardien.cli.context import container, emit
from gardien.errors import ConfigurationError

if TYPE_CHECKING:
    from pathlib import Path

    from gardien.bootstrap import Container
    from gardien.services.backup_crypto import BackupKey
    from gardien.store.backup_store import BackupInfo, BackupStore

app = typer.Typer(
    help="Encrypted backups of the SQLite database; PostgreSQL's are the managed service's.",
    no_args_is_help=True,
)


@app.command("create")
def create(ctx: typer.Context) -> None:
    """Back the database up now, encrypted, to the backup folder or bucket."""
    from gardien.cli.progress import progress_bar
    from gardien.services.backups import create_backup

    app_ = container(ctx)
    database = _sqlite(app_)
    app_.migrated_engine()  # a backup of a database not at the head would not restore here
    with progress_bar() as progress:
        info = create_backup(
            database,
            store=_store(app_),
            key=_keys(app_)[0],
            now=app_.clock.now(),
            progress=progress,
        )
    emit(f"backup {info.name} ({_size(info.size)}, revision {info.revision}) in {_where(app_)}")


@app.command("list")
def list_(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print the list as JSON."),
) -> None:
    """List the backups, oldest first: when each was taken, its size, its schema revision."""
    app_ = container(ctx)
    _sqlite(app_)
    backups = _store(app_).list()
    if as_json:
        emit(json.dumps([_as_json(info) for info in backups], indent=2))
        return
    if not backups:
        emit(f"no backup in {_where(app_)}")
        return
    for info in backups:
        emit(
            f"{info.name}  {info.taken_at.isoformat()}  {_size(info.size):>10}"
            f"  revision {info.revision}"
        )


@app.command("restore")
def restore(
    ctx: typer.Context,
    name: str = typer.Argument(
        ..., help="The backup's name (see `gardien backup list`), or 'latest'."
    ),
    yes: bool = typer.Option(False, "--yes", help="Replace the database without asking."),
) -> None:
    """Replace the database with a backup (stop the server first), then say what comes next."""
    from gardien.cli.progress import progress_bar
    from gardien.errors import BackupError
    from gardien.services.backups import restore_backup

    app_ = container(ctx)
    database = _sqlite(app_)
    store = _store(app_)
    if name == "latest":
        backups = store.list()
        if not backups:
            raise BackupError(f"no backup in {_where(app_)}")
        name = backups[-1].name
    if database.exists() and not yes:
        if not sys.stdin.isatty():
            raise ConfigurationError(
                f"restoring replaces {database} and what it holds now: confirm with --yes"
            )
        typer.confirm(
            f"Replace {database} with {name}? What was written since the backup is lost",
            abort=True,
        )
    with progress_bar() as progress:
        info = restore_backup(name, database, store=store, keys=_keys(app_), progress=progress)
    emit(f"restored {info.name} (revision {info.revision}) to {database}")
    emit(
        "next: `gardien db upgrade` if the revision is older, then `gardien erasure replay`"
        " (the server refuses to start until it has run)"
    )


@app.command("prune")
def prune(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Delete the backups older than the policy's backup rule (the notice states it)."""
    from gardien.services.backups import prune_backups

    app_ = container(ctx)
    _sqlite(app_)
    rule = app_.policy.backups
    if rule is None:
        raise ConfigurationError(
            "the policy has no backup rule (backups: days): nothing says how long to keep them"
        )
    done = prune_backups(_store(app_), now=app_.clock.now(), days=rule.days)
    if as_json:
        emit(
            json.dumps(
                {
                    "days": rule.days,
                    "deleted": [_as_json(info) for info in done.deleted],
                    "kept": [_as_json(info) for info in done.kept],
                },
                indent=2,
            )
        )
        return
    emit(
        f"backups older than {rule.days} days: {len(done.deleted)} deleted,"
        f" {len(done.kept)} kept in {_where(app_)}"
    )


def _sqlite(app_: Container) -> Path:
    from gardien.errors import BackupError
    from gardien.services.backups import POSTGRES_REFUSAL

    database = app_.settings.sqlite_path
    if database is None:
        if app_.settings.database_url.startswith("postgresql"):
            raise BackupError(POSTGRES_REFUSAL)
        raise BackupError("gardien backup needs a SQLite database in a file")
    return database


def _store(app_: Container) -> BackupStore:
    from gardien.store.backup_store import open_backup_store

    return open_backup_store(app_.settings)


def _where(app_: Container) -> str:
    return _store(app_).where


def _keys(app_: Container) -> list[BackupKey]:
    from gardien.services.backup_crypto import backup_keys

    settings = app_.settings
    return backup_keys(
        backup_key=settings.backup_key.get_secret_value() if settings.backup_key else None,
        secret_key=settings.secret_key.get_secret_value(),
        previous=settings.retired_secrets,
    )


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    value = size / 1024
    for unit in ("KiB", "MiB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


def _as_json(info: BackupInfo) -> dict[str, object]:
    return {
        "name": info.name,
        "taken_at": info.taken_at.isoformat(),
        "size": info.size,
        "revision": info.revision,
    }
