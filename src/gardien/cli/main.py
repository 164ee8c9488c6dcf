"""The ``gardien`` command line; :func:`main` maps every error to a message and an exit code.

Every command module imports its work inside its functions: this module lists the commands
without importing the web app, SQLAlchemy or the PDF library, so ``gardien --help`` answers at
once (docs/configuration.md). Before any command runs, :class:`RootGroup` checks the settings:
in production, a weak secret key stops every command but ``check-config``, whose job is to say so.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from typer.core import TyperGroup

from gardien.cli import (
    account,
    audit,
    backup,
    cpf,
    db,
    erasure,
    invoice,
    outbox,
    policy,
    subject,
    xapi,
)
from gardien.cli.check_config import check_config_command
from gardien.cli.context import GlobalOptions
from gardien.cli.demo import demo_data_command
from gardien.cli.forecast import forecast_command
from gardien.cli.importing import import_command
from gardien.cli.newsletter import contact_app, newsletter_app
from gardien.cli.notice import notice_command
from gardien.cli.register import register_command
from gardien.cli.serve import serve_command
from gardien.cli.sweep import sweep_command
from gardien.cli.transmit import transmit_command
from gardien.errors import GardienError, escape_controls

if TYPE_CHECKING:
    # The context type of TyperGroup's methods (typer vendors its own click).
    from typer._click import Command as ClickCommand
    from typer._click import Context as ClickContext

# Commands that judge the settings rather than use them.
REPORTS_ON_SETTINGS = frozenset({"check-config"})
# Whether the command line owns this process (:func:`run`), and so its logging: not when
# :func:`main` runs in-process (the tests), whose logging is not its own.
_OWN_PROCESS = False


class RootGroup(TyperGroup):
    """The ``gardien`` group: refuses unsafe settings before any command parses its arguments.

    So no command, present or future, runs in production with a weak secret key; asking a
    command for its ``--help`` stays possible.
    """

    def resolve_command(
        self, ctx: ClickContext, args: list[str]
    ) -> tuple[str | None, ClickCommand | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if name not in REPORTS_ON_SETTINGS and "--help" not in rest and not ctx.resilient_parsing:
            from gardien.settings import load_settings

            settings = load_settings().check()
            if _OWN_PROCESS:
                # JSON lines in production (GARDIEN_LOG_FORMAT, GARDIEN_LOG_LEVEL); the
                # settings are read here anyway, and --help stays without them.
                from gardien.logging_config import configure

                configure(settings.logs_as, settings.log_level)
        return name, command, rest


app = typer.Typer(
    name="gardien",
    cls=RootGroup,
    help="gardien: personal data held as the privacy notice promises.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    # Plain help, as click writes it: Rich's boxes would cost more to import than all the
    # commands together (docs/configuration.md).
    rich_markup_mode=None,
)


def _print_version(value: bool) -> None:
    """``--version``: the installed distribution's version, read from its metadata; no settings,
    no database, so it answers on a server before anything is configured."""
    if not value:
        return
    from importlib.metadata import PackageNotFoundError, version

    try:
        number = version("gardien")
    except PackageNotFoundError:  # run from a source tree that was never installed
        number = "unknown"
    typer.echo(f"gardien {number}")
    raise typer.Exit(0)


@app.callback()
def root(
    ctx: typer.Context,
    policy_path: Path | None = typer.Option(
        None, "--policy", envvar="GARDIEN_POLICY", help="Policy file (default: the shipped one)."
    ),
    database_url: str | None = typer.Option(
        None, "--database-url", envvar="GARDIEN_DATABASE_URL", help="SQLAlchemy database URL."
    ),
    _version: bool = typer.Option(
        False,
        "--version",
        is_eager=True,
        callback=_print_version,
        help="Print the installed version and exit.",
    ),
) -> None:
    """gardien: personal data held as the privacy notice promises."""
    ctx.obj = GlobalOptions(policy=policy_path or None, database_url=database_url or None)


app.add_typer(db.app, name="db")
app.add_typer(policy.app, name="policy")
app.add_typer(subject.app, name="subject")
app.add_typer(audit.app, name="audit")
app.add_typer(outbox.app, name="outbox")
app.add_typer(newsletter_app, name="newsletter")
app.add_typer(invoice.app, name="invoice")
app.add_typer(cpf.app, name="cpf")
app.add_typer(xapi.app, name="xapi")
app.add_typer(invoice.opco_app, name="opco")
app.add_typer(contact_app, name="contact")
app.add_typer(account.app, name="account")
app.add_typer(backup.app, name="backup")
app.add_typer(erasure.app, name="erasure")
app.command("import")(import_command)
app.command("demo-data")(demo_data_command)
app.command("serve")(serve_command)
app.command("sweep")(sweep_command)
app.command("forecast")(forecast_command)
app.command("notice")(notice_command)
app.command("register")(register_command)
app.command("transmit")(transmit_command)
app.command("check-config")(check_config_command)


def main(argv: list[str] | None = None) -> int:
    """Run the command line on ``argv``; return the exit code instead of raising."""
    try:
        # Without standalone mode, typer returns (not raises) the code of a typer.Exit.
        result = app(args=argv, prog_name="gardien", standalone_mode=False)
    except typer.Exit as exc:
        return exc.exit_code
    except typer.TyperException as exc:
        # Typer's own click: usage errors (a missing option, a value of the wrong type, an
        # unknown command) are one line, as every error of gardien; they quote the arguments
        # given, escaped.
        message = exc.format_message()
        if message:  # empty when the help was shown for want of a command
            typer.echo(f"gardien: {escape_controls(message)}", err=True)
        return exc.exit_code
    except typer.Abort:
        typer.echo("aborted", err=True)
        return 1
    except GardienError as exc:
        # str() of a GardienError is escaped already (errors.escape_controls): one line.
        typer.echo(f"gardien: {exc}", err=True)
        return exc.exit_code
    return result if isinstance(result, int) else 0


def run() -> None:
    """Console-script entry point: the process's logging, then the command.

    Only here: :func:`main` also runs in-process (the tests), whose logging is not its own.
    """
    global _OWN_PROCESS
    _OWN_PROCESS = True
    sys.exit(main())
