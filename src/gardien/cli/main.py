"""The ``gardien`` command line; :func:`main` maps every error to a message and an exit code."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import typer

from gardien.cli import account, audit, cpf, db, invoice, outbox, policy, subject, xapi
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

app = typer.Typer(
    name="gardien",
    help="gardien: personal data held as the privacy notice promises.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def root(
    ctx: typer.Context,
    policy_path: Path | None = typer.Option(
        None, "--policy", envvar="GARDIEN_POLICY", help="Policy file (default: the shipped one)."
    ),
    database_url: str | None = typer.Option(
        None, "--database-url", envvar="GARDIEN_DATABASE_URL", help="SQLAlchemy database URL."
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
app.command("import")(import_command)
app.command("demo-data")(demo_data_command)
app.command("serve")(serve_command)
app.command("sweep")(sweep_command)
app.command("forecast")(forecast_command)
app.command("notice")(notice_command)
app.command("register")(register_command)
app.command("transmit")(transmit_command)


def main(argv: list[str] | None = None) -> int:
    """Run the command line on ``argv``; return the exit code instead of raising."""
    try:
        # Without standalone mode, click returns (not raises) the code of a typer.Exit.
        result = app(args=argv, prog_name="gardien", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except (click.ClickException, typer.TyperException) as exc:
        # Typer vendors its own click, whose usage errors (a missing option, a value of the
        # wrong type, an unknown command) are not click.ClickException. Both quote the
        # arguments given: escaped, one line, like every message below.
        click.echo(f"gardien: {escape_controls(exc.format_message())}", err=True)
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 1
    except GardienError as exc:
        # str() of a GardienError is escaped already (errors.escape_controls): one line.
        click.echo(f"gardien: {exc}", err=True)
        return exc.exit_code
    return result if isinstance(result, int) else 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
