"""What every command shares: the global options, and the container built from them.

Command modules import only what their signatures need at the top (typer, enums, light domain
types); what a command uses to do its work is imported inside its function, so that
``gardien --help`` and the light commands start without the web app, SQLAlchemy, the PDF
library or the password hasher (docs/configuration.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from gardien.bootstrap import Container


@dataclass(frozen=True)
class GlobalOptions:
    policy: Path | None
    database_url: str | None


def container(ctx: typer.Context, *, as_of: str | None = None) -> Container:
    """Build the container from the global options (and ``--as-of`` when the command has it)."""
    from gardien.bootstrap import bootstrap

    options = ctx.find_root().obj
    assert isinstance(options, GlobalOptions)
    built = bootstrap(policy_path=options.policy, database_url=options.database_url, as_of=as_of)
    # Close pooled connections when the command ends, also when it runs in-process (tests).
    ctx.call_on_close(built.close)
    return built


def emit(text: str) -> None:
    """Write a command's result on standard output."""
    typer.echo(text)


# gardien.i18n's SUPPORTED, DEFAULT_LANGUAGE first, named here so that listing the commands does
# not read the catalogues (tests/unit/test_cli_start.py checks that they agree).
LANGUAGES = ("fr", "en")

AS_OF_HELP = "Run as of this date (YYYY-MM-DD) or instant (ISO 8601) instead of now."
