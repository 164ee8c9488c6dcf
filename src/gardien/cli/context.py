"""What every command shares: the global options, and the container built from them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import typer

from gardien.bootstrap import Container, bootstrap


@dataclass(frozen=True)
class GlobalOptions:
    policy: Path | None
    database_url: str | None


def container(ctx: typer.Context, *, as_of: str | None = None) -> Container:
    """Build the container from the global options (and ``--as-of`` when the command has it)."""
    options = ctx.find_root().obj
    assert isinstance(options, GlobalOptions)
    built = bootstrap(policy_path=options.policy, database_url=options.database_url, as_of=as_of)
    # Close pooled connections when the command ends, also when it runs in-process (tests).
    ctx.call_on_close(built.close)
    return built


def emit(text: str) -> None:
    """Write a command's result on standard output."""
    typer.echo(text)


AS_OF_HELP = "Run as of this date (YYYY-MM-DD) or instant (ISO 8601) instead of now."
