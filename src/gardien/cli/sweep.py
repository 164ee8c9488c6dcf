"""``gardien sweep``: enforce every retention rule of the policy."""

from __future__ import annotations

import json

import typer

from gardien.cli.context import AS_OF_HELP, container, emit
from gardien.cli.progress import progress_bar
from gardien.services.sweep import DEFAULT_BATCH, sweep


def sweep_command(
    ctx: typer.Context,
    as_of: str | None = typer.Option(None, "--as-of", help=AS_OF_HELP),
    dry_run: bool = typer.Option(False, "--dry-run", help="Count what would go; change nothing."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON report with per-rule counts."),
    batch_size: int = typer.Option(
        DEFAULT_BATCH, "--batch-size", min=1, max=100_000, help="Records per transaction."
    ),
) -> None:
    """Delete or anonymise what the policy says has expired, in bounded, audited batches."""
    app = container(ctx, as_of=as_of)
    engine = app.migrated_engine()
    with progress_bar() as progress:
        report = sweep(
            engine,
            policy=app.policy,
            clock=app.clock,
            dry_run=dry_run,
            batch_size=batch_size,
            progress=progress,
        )
    emit(json.dumps(report.as_json(), indent=2) if as_json else report.summary())
