"""``gardien invoice`` (PDF, credit notes) and ``gardien opco certificate``: accounting documents.

Two sub-apps for :mod:`gardien.cli.main`: ``app`` under the name ``invoice`` and ``opco_app``
under the name ``opco``. Output names numbers and files, never a person.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from pathlib import Path

import typer

from gardien.cli.context import AS_OF_HELP, container, emit
from gardien.errors import ConfigurationError, InvalidInputError

app = typer.Typer(
    help="Invoices: their PDF, and credit notes to correct them.", no_args_is_help=True
)
opco_app = typer.Typer(
    help="OPCO-funded training: documents for the funding body.", no_args_is_help=True
)


class Lang(StrEnum):
    FR = "fr"
    EN = "en"


_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
LANG_OPTION = typer.Option(Lang.FR, "--lang", help="Language of the document.")
OUT_OPTION = typer.Option(..., "--out", help="The PDF file to write.")


@app.command("pdf")
def pdf_command(
    ctx: typer.Context,
    number: str = typer.Argument(..., help="The number of the invoice or credit note."),
    lang: Lang = LANG_OPTION,
    out: Path = OUT_OPTION,
) -> None:
    """Write the invoice or credit note NUMBER as a PDF, from its stored row."""
    from gardien.services.documents import invoice_pdf

    app_ = container(ctx)
    with app_.migrated_engine().connect() as connection:
        content = invoice_pdf(connection, number, policy=app_.policy, lang=lang.value)
    _write(out, content)
    emit(f"invoice {number.strip()} written to {out} ({len(content)} bytes)")


@app.command("credit-note")
def credit_note_command(
    ctx: typer.Context,
    corrects: str = typer.Option(..., "--corrects", help="The number of the invoice to correct."),
    number: str = typer.Option(..., "--number", help="The credit note's own number."),
    issued_on: str = typer.Option(..., "--issued-on", help="Issue date (YYYY-MM-DD)."),
    amount_excl_tax: str = typer.Option(
        ...,
        "--amount-excl-tax",
        help="Amount excluding tax in euros, negative or zero: --amount-excl-tax=-250.00.",
    ),
    tax: str = typer.Option(..., "--tax", help="Tax in euros, negative or zero: --tax=-50.00."),
) -> None:
    """Issue a credit note that corrects an invoice (an issued invoice never changes)."""
    from gardien.services.documents.pdf import format_money
    from gardien.services.invoices import cents_from_euros, issue_credit_note
    from gardien.store.uow import UnitOfWork

    excl_tax_cents = cents_from_euros(amount_excl_tax, field="--amount-excl-tax")
    tax_cents = cents_from_euros(tax, field="--tax")
    day = _day(issued_on)
    app_ = container(ctx)
    issue_credit_note(
        UnitOfWork(app_.migrated_engine(), write=True),
        clock=app_.clock,
        corrects=corrects,
        number=number,
        issued_on=day,
        amount_excl_tax_cents=excl_tax_cents,
        tax_cents=tax_cents,
    )
    total = format_money(excl_tax_cents + tax_cents, "", "en").strip()
    emit(
        f"credit note {number.strip()} issued on {day.isoformat()}:"
        f" corrects {corrects.strip()}, total {total}"
    )


@opco_app.command("certificate")
def certificate_command(
    ctx: typer.Context,
    agreement: str = typer.Option(..., "--agreement", help="The dossier's agreement reference."),
    lang: Lang = LANG_OPTION,
    out: Path = OUT_OPTION,
    as_of: str | None = typer.Option(None, "--as-of", help=AS_OF_HELP),
) -> None:
    """Write the certificate of completion (certificat de réalisation) of an OPCO dossier.

    It is dated today, or the day of --as-of.
    """
    from gardien.services.documents import (
        certificate_data_from,
        certificate_of_completion,
        dossier_id_by_agreement,
    )

    app_ = container(ctx, as_of=as_of)
    with app_.migrated_engine().connect() as connection:
        dossier_id = dossier_id_by_agreement(connection, agreement)
        data = certificate_data_from(
            connection,
            dossier_id,
            policy=app_.policy,
            issued_on=app_.clock.today(),
            lang=lang.value,
        )
    content = certificate_of_completion(data)
    _write(out, content)
    emit(
        f"certificate of completion for {agreement.strip()} written to {out} ({len(content)} bytes)"
    )


def _day(text: str) -> date:
    # The extended form only: a compact "20240315" is more likely a typing slip than a date.
    try:
        if _ISO_DAY.match(text.strip()):
            return date.fromisoformat(text.strip())
    except ValueError:
        pass
    raise InvalidInputError(f"not a date (YYYY-MM-DD): {text!r}", field="--issued-on")


def _write(out: Path, content: bytes) -> None:
    try:
        out.write_bytes(content)
    except OSError as exc:
        raise ConfigurationError(f"--out {out}: cannot write ({exc.strerror})") from None
