"""``gardien transmit``: send a sponsor or a funding body what the policy allows, and log it."""

from __future__ import annotations

import sys
from datetime import date
from enum import StrEnum
from pathlib import Path

import typer

from gardien.cli.context import AS_OF_HELP, container
from gardien.errors import ConfigurationError, InvalidInputError


class Format(StrEnum):
    JSON = "json"
    CSV = "csv"


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInputError(f"not a date (YYYY-MM-DD): {value!r}", field=option) from None


def transmit_command(
    ctx: typer.Context,
    recipient: str = typer.Option(
        ..., "--to", help="The recipient kind, as the policy names it (funding_body, opco, ...)."
    ),
    contract: str | None = typer.Option(None, "--contract", help="The contract's reference."),
    sponsor: str | None = typer.Option(
        None, "--sponsor", help="Every contract of this sponsor running in --from..--until."
    ),
    start: str | None = typer.Option(None, "--from", help="First day of the period."),
    end: str | None = typer.Option(None, "--until", help="Last day of the period."),
    fmt: Format = typer.Option(Format.JSON, "--format", help="Payload format."),
    out: Path | None = typer.Option(
        None,
        "--out",
        help="Write the payload to this file (certificates of completion go beside it).",
    ),
    actor: str = typer.Option("cli", "--actor", help="Who triggers it, for the log."),
    as_of: str | None = typer.Option(None, "--as-of", help=AS_OF_HELP),
) -> None:
    """Build the payload the policy allows for RECIPIENT, log it, and write it out."""
    from gardien.services.transmission import Target, transmit
    from gardien.store.uow import UnitOfWork

    app = container(ctx, as_of=as_of)
    target = Target(
        contract=contract,
        sponsor=sponsor,
        start=_day(start, "--from"),
        end=_day(end, "--until"),
    )
    sent = transmit(
        UnitOfWork(app.migrated_engine(), write=True),
        policy=app.policy,
        clock=app.clock,
        target=target,
        recipient=recipient,
        fmt=fmt.value,
        actor=actor,
    )
    if out is None:
        sys.stdout.buffer.write(sent.payload)
        sys.stdout.flush()
    else:
        try:
            out.write_bytes(sent.payload)
            for name, pdf in sent.certificates.items():
                (out.parent / name).write_bytes(pdf)
        except OSError as exc:
            raise ConfigurationError(f"--out {out}: cannot write ({exc.strerror})") from None
    summary = (
        f"transmitted to {recipient}: {len(sent.contracts)} contract(s), {sent.subjects}"
        f" record(s), sha256 {sent.sha256}, logged as {', '.join(map(str, sent.disclosure_ids))}"
    )
    if sent.skipped:
        summary += f"; skipped (not allowed for this recipient): {', '.join(sent.skipped)}"
    if sent.certificates and out is None:
        summary += "; certificates of completion are in the JSON payload (--out writes them)"
    typer.echo(summary, err=True)
