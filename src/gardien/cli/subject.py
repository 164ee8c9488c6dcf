"""``gardien subject``: what is held about one person."""

from __future__ import annotations

import json
import sys

import typer

from gardien.cli.context import AS_OF_HELP, container, emit
from gardien.errors import ConfigurationError

app = typer.Typer(help="One person's data: export it, erase it.", no_args_is_help=True)


@app.command("export")
def export(
    ctx: typer.Context,
    email: str = typer.Option(..., "--email", help="The person's e-mail address."),
    as_of: str | None = typer.Option(None, "--as-of", help=AS_OF_HELP),
) -> None:
    """Print, as JSON, every record held about a person, grouped by policy category."""
    from gardien.services.subject_export import open_export
    from gardien.store.uow import UnitOfWork

    app_ = container(ctx, as_of=as_of)
    uow = UnitOfWork(app_.migrated_engine())
    # Streamed: a learner with 100,000 statements costs no more memory than one with ten.
    with open_export(
        email, uow=uow, policy=app_.policy, clock=app_.clock, lookup=app_.lookup
    ) as exported:
        for chunk in exported.json_chunks():
            typer.echo(chunk, nl=False)
    typer.echo("")


@app.command("erase")
def erase(
    ctx: typer.Context,
    email: str = typer.Option(..., "--email", help="The person's e-mail address."),
    as_of: str | None = typer.Option(None, "--as-of", help=AS_OF_HELP),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Erase a person's data now; print what a legal duty keeps, why and until when."""
    from gardien.services.erasure import erase_subject
    from gardien.store.uow import UnitOfWork

    app_ = container(ctx, as_of=as_of)
    engine = app_.migrated_engine()
    if not yes:
        if not sys.stdin.isatty():
            raise ConfigurationError("erasure cannot be undone: confirm with --yes")
        typer.confirm(f"Erase everything held about {email}? This cannot be undone", abort=True)
    result = erase_subject(
        email,
        uow=UnitOfWork(engine, write=True),
        policy=app_.policy,
        clock=app_.clock,
        lookup=app_.lookup,
        blobs=app_.blobs,
        ledger=app_.ledger,
    )
    if as_json:
        emit(json.dumps(result.as_json(), indent=2, ensure_ascii=False))
        return
    if not result.found:
        emit(f"nothing is held about {result.email}")
        return
    erased = ", ".join(f"{table} {n}" for table, n in sorted(result.erased.items()))
    emit(f"erased: {erased or 'nothing'}")
    for kept in result.kept:
        until = kept.until.isoformat() if kept.until else "?"
        emit(
            f"kept: {kept.record} {kept.key} ({', '.join(kept.fields)}) until {until},"
            f" {kept.legal_basis} (GDPR art. {kept.article}): {kept.reason['en']}"
        )
    for sent in result.recipients:
        emit(
            f"inform of the erasure (GDPR art. 19): {sent['recipient']}, who received"
            f" contract {sent['contract']} on {sent['transmitted_at'][:10]}"
        )
