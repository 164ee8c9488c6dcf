"""``gardien sweep``: enforce every retention rule of the policy."""

from __future__ import annotations

import json

import typer

from gardien.cli.context import AS_OF_HELP, container, emit

# gardien.services.sweep's CLI_MAX_BATCH and CLI_BATCH_SECONDS, named here so that listing the
# commands does not import the sweep (tests/unit/test_cli_start.py checks that they agree).
CLI_MAX_BATCH = 20_000
CLI_BATCH_SECONDS = 0.5


def sweep_command(
    ctx: typer.Context,
    as_of: str | None = typer.Option(None, "--as-of", help=AS_OF_HELP),
    dry_run: bool = typer.Option(False, "--dry-run", help="Count what would go; change nothing."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON report with per-rule counts."),
    batch_size: int = typer.Option(
        CLI_MAX_BATCH,
        "--batch-size",
        min=1,
        max=100_000,
        help="At most this many records per transaction.",
    ),
    batch_seconds: float = typer.Option(
        CLI_BATCH_SECONDS,
        "--batch-seconds",
        min=0.0,
        help="Size each transaction to last about this long (0: always --batch-size records).",
    ),
) -> None:
    """Delete or anonymise what the policy says has expired, in bounded, audited batches."""
    from gardien.cli.progress import progress_bar
    from gardien.services.purges import Purge, preview, purge

    app = container(ctx, as_of=as_of)
    job = Purge(
        engine=app.migrated_engine(),
        policy=app.policy,
        clock=app.clock,
        lookup=app.lookup,
        portal_url=app.settings.public_url.rstrip("/") + "/",
        blobs=app.blobs,
    )
    if dry_run:
        report, warnings = preview(job), None
    else:
        with progress_bar() as progress:
            done = purge(
                job,
                batch_size=batch_size,
                batch_seconds=batch_seconds or None,
                progress=progress,
            )
        report, warnings = done.sweep, done.warnings
    if as_json:
        data = report.as_json()
        data["warnings"] = warnings.as_dict() if warnings else None
        emit(json.dumps(data, indent=2))
    else:
        emit(report.summary() + (f"\n{warnings.summary()}" if warnings else ""))
