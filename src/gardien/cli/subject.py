"""``gardien subject``: what is held about one person."""

from __future__ import annotations

import json

import typer

from gardien.cli.context import AS_OF_HELP, container, emit
from gardien.services.subject_export import export_subject
from gardien.store.uow import UnitOfWork

app = typer.Typer(help="One person's data: export it.", no_args_is_help=True)


@app.command("export")
def export(
    ctx: typer.Context,
    email: str = typer.Option(..., "--email", help="The person's e-mail address."),
    as_of: str | None = typer.Option(None, "--as-of", help=AS_OF_HELP),
) -> None:
    """Print, as JSON, every record held about a person, grouped by policy category."""
    app_ = container(ctx, as_of=as_of)
    result = export_subject(
        email, uow=UnitOfWork(app_.migrated_engine()), policy=app_.policy, clock=app_.clock
    )
    emit(json.dumps(result, indent=2, ensure_ascii=False, default=str))
