"""``gardien forecast``: what retention will delete or anonymise, per rule and month."""

from __future__ import annotations

import json
from datetime import UTC, date

import typer

from gardien.cli.context import AS_OF_HELP, container, emit
from gardien.domain.clock import parse_instant
from gardien.errors import ConfigurationError


def forecast_command(
    ctx: typer.Context,
    until: str = typer.Option(
        ..., "--until", help="Last day of the forecast (YYYY-MM-DD), included."
    ),
    as_of: str | None = typer.Option(None, "--as-of", help=AS_OF_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the forecast as JSON."),
) -> None:
    """Show what the retention rules will delete or anonymise from now until a date."""
    from gardien.services.forecast import forecast

    last_day = _day(until)
    app = container(ctx, as_of=as_of)
    today = app.clock.today()
    if last_day < today:
        raise ConfigurationError(
            f"--until {last_day.isoformat()} is before the as-of date {today.isoformat()}"
        )
    engine = app.migrated_engine()
    result = forecast(engine, policy=app.policy, clock=app.clock, until=last_day)
    emit(json.dumps(result.as_json(), indent=2) if as_json else result.summary())


def _day(text: str) -> date:
    """The UTC day of ``--until``, a date or an instant, as ``--as-of`` reads it."""
    try:
        return parse_instant(text).astimezone(UTC).date()
    except ValueError as exc:
        raise ConfigurationError(f"--until: {exc}") from None
