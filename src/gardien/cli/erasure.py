"""``gardien erasure``: the erasure ledger kept outside the database, and its replay."""

from __future__ import annotations

import typer

from gardien.cli.context import container, emit

app = typer.Typer(
    help="The erasure ledger: every erasure, kept outside the database, replayed after a restore.",
    no_args_is_help=True,
)


@app.command("replay")
def replay(
    ctx: typer.Context,
    adopt_lineage: str | None = typer.Option(
        None,
        "--adopt-lineage",
        help="First make this lineage (see `gardien erasure status`) the database's own: for a"
        " backup older than the ledger, or a database made anew, replacing the one that had it.",
    ),
) -> None:
    """Re-apply the erasures of the ledger this database lacks (run it after any restore)."""
    from gardien.cli.progress import progress_bar
    from gardien.services.erasure_replay import replay_erasures
    from gardien.store.erasure_applied import adopt_lineage as adopt
    from gardien.store.erasure_ledger import checked_lineage

    app_ = container(ctx)
    engine = app_.migrated_engine()
    if adopt_lineage is not None:
        adopt(engine, checked_lineage(adopt_lineage))
    with progress_bar() as progress:
        done = replay_erasures(
            engine=engine,
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
    from gardien.store.erasure_applied import lineage_of

    app_ = container(ctx)
    engine = app_.migrated_engine()
    total, pending = pending_entries(engine, app_.ledger)
    lineage = lineage_of(engine)
    emit(
        f"erasure ledger {app_.ledger.where}, lineage {lineage} (this database):"
        f" {total} entries, {len(pending)} not applied"
    )
    for other in app_.ledger.lineages():
        if other != lineage:
            count = sum(1 for _ in app_.ledger.ids(other))
            emit(f"lineage {other} (another database): {count} entries")
    if pending:
        raise typer.Exit(code=1)
