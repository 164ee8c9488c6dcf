"""``gardien erasure``: the erasure ledger kept outside the database, and its replay."""

from __future__ import annotations

import typer

from gardien.cli.context import container, emit

app = typer.Typer(
    help="The erasure ledger: every erasure, kept outside the database, replayed after a restore.",
    no_args_is_help=True,
)


@app.command("replay")
def replay(ctx: typer.Context) -> None:
    """Re-apply the erasures of the ledger this database lacks (run it after any restore)."""
    from gardien.cli.progress import progress_bar
    from gardien.services.erasure_replay import replay_erasures

    app_ = container(ctx)
    with progress_bar() as progress:
        done = replay_erasures(
            engine=app_.migrated_engine(),
            ledger=app_.ledger,
            policy=app_.policy,
            clock=app_.clock,
            lookup=app_.lookup,
            blobs=app_.blobs,
            progress=progress,
        )
    emit(done.summary())


@app.command("status")
def status(ctx: typer.Context) -> None:
    """Say how many ledger entries there are, and how many this database has not applied."""
    from gardien.services.erasure_replay import pending_entries

    app_ = container(ctx)
    total, pending = pending_entries(app_.migrated_engine(), app_.ledger)
    emit(f"erasure ledger {app_.ledger.where}: {total} entries, {len(pending)} not applied")
    if pending:
        raise typer.Exit(code=1)
