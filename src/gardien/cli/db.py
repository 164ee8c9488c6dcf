"""``gardien db``: the database schema."""

from __future__ import annotations

import typer

from gardien.cli.context import container, emit

app = typer.Typer(
    help="Database schema: apply migrations, show the revision.", no_args_is_help=True
)


@app.command("upgrade")
def upgrade_command(ctx: typer.Context) -> None:
    """Apply every pending migration (creates the schema in an empty database)."""
    from gardien.store.migrate import current_revision, upgrade

    app = container(ctx)
    engine = app.engine
    upgrade(engine, pseudonyms=app.pseudonyms)
    emit(f"database at revision {current_revision(engine)}")


@app.command("current")
def current_command(ctx: typer.Context) -> None:
    """Show the database's revision and the migrations' head."""
    from gardien.store.migrate import current_revision, head_revision

    engine = container(ctx).engine
    emit(f"database: {current_revision(engine) or 'empty'}; head: {head_revision()}")
