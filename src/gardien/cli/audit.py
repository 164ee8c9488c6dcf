"""``gardien audit``: the hash-chained audit log."""

from __future__ import annotations

import json

import typer

from gardien.cli.context import container, emit

app = typer.Typer(help="The audit log: prove its hash chain untouched.", no_args_is_help=True)


@app.command("verify")
def verify_command(
    ctx: typer.Context,
    as_json: bool = typer.Option(
        False, "--json", help="Print the result and the verified head as JSON."
    ),
    record: bool = typer.Option(
        False,
        "--record",
        help="When intact, append an audit.verified entry: the DPO console then checks only"
        " what came after it.",
    ),
) -> None:
    """Check every entry of the audit log; exit 1 naming the first broken entry."""
    from gardien.services import audit
    from gardien.store.uow import UnitOfWork

    app_ = container(ctx)
    engine = app_.migrated_engine()
    report = audit.report(UnitOfWork(engine))
    result = report.verification
    if record:
        audit.record_verification(UnitOfWork(engine, write=True), report, clock=app_.clock)
    if as_json:
        emit(json.dumps(report.as_json(), indent=2))
    elif result.ok:
        emit(f"audit chain intact: {result.entries_checked} entries checked")
    if not result.ok:
        # An error, not typer.Exit: main() turns it into one line on stderr and exit code 1.
        raise audit.AuditChainBrokenError(result)
