"""``gardien db``: the database schema."""

from __future__ import annotations

import typer

from gardien.cli.context import container, emit

app = typer.Typer(
    help="Database schema: apply migrations, show the revision.", no_args_is_help=True
)


@app.command("upgrade")
def upgrade_command(ctx: typer.Context) -> None:
    """Apply every pending migration (creates the schema in an empty database).

    Instances that start together run it once: the others wait for the lock the migrations
    hold, then find nothing to apply (docs/postgresql.md).
    """
    from gardien.store.migrate import current_revision, upgrade

    app = container(ctx)
    engine = app.engine
    applied = upgrade(engine, pseudonyms=app.pseudonyms, on_wait=_say_waiting)
    revision = current_revision(engine)
    if applied:
        emit(f"applied {len(applied)} migration(s): database at revision {revision}")
    else:
        emit(f"nothing to apply: database at revision {revision}")


def _say_waiting() -> None:
    typer.echo("another instance is migrating the database: waiting for it to finish", err=True)


@app.command("current")
def current_command(ctx: typer.Context) -> None:
    """Show the database's revision and the migrations' head."""
    from gardien.store.migrate import current_revision, head_revision

    engine = container(ctx).engine
    emit(f"database: {current_revision(engine) or 'empty'}; head: {head_revision()}")
