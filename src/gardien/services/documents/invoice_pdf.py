"""An invoice or a credit note as a PDF, rendered from its stored row only.

The row is immutable (a trigger refuses any UPDATE) and carries its own snapshot of the billing
identity, so the PDF made today is the one made on the day of issue, whatever became of the
customer, the sponsor or the learner since. The issuer is the policy's controller.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, select

from gardien.errors import NotFoundError
from gardien.policy import Policy
from gardien.services.documents.pdf import (
    Lang,
    Letterhead,
    PdfDocument,
    Wording,
    check_lang,
    format_day,
    format_money,
)
from gardien.store.tables import contract, invoice

INVOICE = Wording("Facture", "Invoice")
CREDIT_NOTE = Wording("Avoir", "Credit note")
LABELS = {
    "number": Wording("Numéro", "Number"),
    "issued_on": Wording("Date d'émission", "Issue date"),
    "corrects": Wording("Facture corrigée", "Corrects invoice"),
    "contract": Wording("Contrat", "Contract"),
    "currency": Wording("Devise", "Currency"),
}
BILLED_TO = Wording("Facturé à", "Billed to")
AMOUNTS = Wording("Montants", "Amounts")
COLUMNS = (Wording("Désignation", "Description"), Wording("Montant", "Amount"))
EXCL_TAX = Wording("Montant hors taxes", "Amount excluding tax")
TAX = Wording("TVA", "VAT")
TOTAL = Wording("Total toutes taxes comprises", "Total including tax")
CORRECTS = Wording(
    "Cet avoir porte sur la facture n° {number} : ses montants viennent en déduction de ceux de"
    " cette facture.",
    "This credit note relates to invoice No. {number}: its amounts are deducted from those of"
    " that invoice.",
)


def invoice_pdf(connection: Connection, number: str, *, policy: Policy, lang: str = "fr") -> bytes:
    """The invoice or credit note ``number`` as a PDF; :class:`NotFoundError` if there is none.

    Shows the billing snapshot (name, address), the number, the issue date, the contract's
    reference if any, and the amounts excluding tax, the tax and the total, two decimals and the
    currency. A credit note is titled "Avoir" / "Credit note" and names the invoice it corrects.
    """
    language = check_lang(lang)
    row = connection.execute(
        select(invoice, contract.c.reference.label("contract_reference"))
        .select_from(invoice.outerjoin(contract, invoice.c.contract_id == contract.c.id))
        .where(invoice.c.number == number.strip())
    ).first()
    if row is None:
        raise NotFoundError(f"no invoice numbered {number!r}")
    return _render(row, policy, language)


def _render(row: Row[Any], policy: Policy, lang: Lang) -> bytes:
    credit_note = row.kind == "credit_note"
    doc = PdfDocument(
        letterhead=Letterhead(policy.controller.name, policy.controller.address),
        title=(CREDIT_NOTE if credit_note else INVOICE).in_(lang),
        issued_on=row.issued_on,
        lang=lang,
    )
    facts = [
        (LABELS["number"].in_(lang), row.number),
        (LABELS["issued_on"].in_(lang), format_day(row.issued_on, lang)),
    ]
    if credit_note:
        facts.append((LABELS["corrects"].in_(lang), row.corrects_number))
    if row.contract_reference is not None:
        facts.append((LABELS["contract"].in_(lang), row.contract_reference))
    facts.append((LABELS["currency"].in_(lang), row.currency))
    doc.rows(facts)
    doc.heading(BILLED_TO.in_(lang))
    doc.paragraph(f"{row.billing_name}\n{row.billing_address}", justify=False)
    doc.heading(AMOUNTS.in_(lang))

    def money(cents: int) -> str:
        return format_money(cents, row.currency, lang)

    doc.table(
        [heading.in_(lang) for heading in COLUMNS],
        [
            (EXCL_TAX.in_(lang), money(row.amount_excl_tax_cents)),
            (TAX.in_(lang), money(row.tax_cents)),
            (TOTAL.in_(lang), money(row.total_cents)),
        ],
        col_widths=(120.0, 50.0),
        align=("LEFT", "RIGHT"),
        bold_last=True,
    )
    if credit_note:
        doc.paragraph(CORRECTS.in_(lang).format(number=row.corrects_number))
    return doc.output()
