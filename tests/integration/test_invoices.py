"""Invoices never change once issued: the trigger, credit notes, the import, the PDF, retention.

Every test runs on SQLite and on PostgreSQL. The people and addresses are fictional.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine, delete, select, update
from sqlalchemy.exc import DBAPIError

from gardien.domain.clock import FixedClock
from gardien.errors import ImportDocumentError, InvalidInputError, NotFoundError
from gardien.services.documents import invoice_pdf
from gardien.services.importing.document import ImportDocument
from gardien.services.importing.report import Counts
from gardien.services.importing.writer import import_document
from gardien.services.invoices import cents_from_euros, issue_credit_note
from gardien.store.tables import audit_entry, contract, invoice, learner
from gardien.store.uow import UnitOfWork
from tests.support.retention_samples import (
    HOME,
    boundary,
    contract_doc,
    default_policy,
    document,
    invoice_doc,
    learner_doc,
    load,
    rows,
    rule,
    run_sweep,
    verify,
)

IMMUTABLE = "invoices are immutable once issued: issue a credit note"
NUMBER = "F-2024-0007"
ISSUED = "2024-01-31"
NAME = "Atelier Fictif SARL"
ADDRESS = "8 rue des Exemples\n69000 Lyon"
EMAIL = "compta@atelier.example.com"
CONTRACT = "C-2024-0007"
NOW = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)


def invoice_document(**changes: Any) -> dict[str, Any]:
    """A contract and its invoice (750.00 + 150.00 = 900.00 EUR), with ``changes`` to the latter."""
    billed = invoice_doc(NUMBER, ISSUED, name=NAME, email=EMAIL, contract_ref=CONTRACT)
    billed["billing_address"] = ADDRESS
    return document(
        contracts=[contract_doc(CONTRACT, "employer_plan", "2024-01-31", starts_on="2024-01-08")],
        invoices=[{**billed, **changes}],
    )


@pytest.fixture
def issued(engine: Engine) -> Engine:
    """A database holding the invoice of :func:`invoice_document`."""
    load(engine, invoice_document())
    return engine


def credit(engine: Engine, number: str, excl_tax: int, tax: int, **options: Any) -> int:
    """Issue credit note ``number`` against the invoice (or ``corrects=...``)."""
    arguments: dict[str, Any] = {"corrects": NUMBER, "issued_on": date(2024, 2, 15), **options}
    return issue_credit_note(
        UnitOfWork(engine, write=True),
        clock=FixedClock(NOW),
        number=number,
        amount_excl_tax_cents=excl_tax,
        tax_cents=tax,
        **arguments,
    )


def pdf_text(engine: Engine, number: str, lang: str = "fr") -> str:
    with engine.connect() as connection:
        content = invoice_pdf(connection, number, policy=default_policy(), lang=lang)
    assert content.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


# -- the trigger --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "values",
    [{"billing_name": "Quelqu'un d'autre"}, {"amount_excl_tax_cents": 1, "total_cents": 15_001}],
)
def test_updating_an_issued_invoice_fails_and_changes_nothing(
    issued: Engine, values: dict[str, Any]
) -> None:
    before = rows(issued, invoice)
    with pytest.raises(DBAPIError, match=IMMUTABLE), issued.begin() as connection:
        connection.execute(update(invoice).where(invoice.c.number == NUMBER).values(**values))
    assert rows(issued, invoice) == before


def test_a_credit_note_cannot_be_updated_either(issued: Engine) -> None:
    credit(issued, "AV-2024-0001", -10_000, -2_000)
    with pytest.raises(DBAPIError, match=IMMUTABLE), issued.begin() as connection:
        connection.execute(update(invoice).values(billing_email=None))


def test_deleting_stays_possible(issued: Engine) -> None:
    with issued.begin() as connection:
        assert connection.execute(delete(invoice)).rowcount == 1
    assert rows(issued, invoice) == []


# -- credit notes -------------------------------------------------------------------------------


def test_a_credit_note_keeps_the_snapshot_and_negative_amounts(issued: Engine) -> None:
    (original,) = rows(issued, invoice)
    credit_id = credit(issued, "AV-2024-0001", -25_000, -5_000)
    (note,) = rows(issued, invoice, invoice.c.kind == "credit_note")
    assert note["id"] == credit_id
    assert note["number"] == "AV-2024-0001"
    assert note["corrects_number"] == NUMBER
    assert note["issued_on"] == date(2024, 2, 15)
    assert (note["amount_excl_tax_cents"], note["tax_cents"], note["total_cents"]) == (
        -25_000,
        -5_000,
        -30_000,
    )
    for copied in ("billing_name", "billing_address", "billing_email", "contract_id", "currency"):
        assert note[copied] == original[copied], copied
    assert (note["billing_name"], note["billing_email"]) == (NAME, EMAIL)
    assert rows(issued, invoice, invoice.c.number == NUMBER) == [original]


def test_the_audit_log_records_numbers_and_amounts_only(issued: Engine) -> None:
    credit(issued, "AV-2024-0001", -25_000, -5_000)
    (entry,) = rows(issued, audit_entry, audit_entry.c.action == "invoice.credit_note")
    assert entry["actor"] == "cli"
    assert entry["recorded_at"] == NOW
    assert entry["details"] == {
        "number": "AV-2024-0001",
        "corrects": NUMBER,
        "issued_on": "2024-02-15",
        "amount_excl_tax_cents": -25_000,
        "tax_cents": -5_000,
        "total_cents": -30_000,
        "currency": "EUR",
    }
    assert verify(issued).ok


def test_credit_notes_never_credit_more_than_the_invoice(issued: Engine) -> None:
    credit(issued, "AV-1", -50_000, -10_000)
    # 250.00 + 50.00 are left: one cent more is refused, on either amount, and stores nothing.
    with pytest.raises(InvalidInputError, match=r"leaves to credit \(250.00 EUR\)") as excess:
        credit(issued, "AV-2", -25_001, -5_000)
    assert excess.value.field == "amount_excl_tax"
    with pytest.raises(InvalidInputError, match=r"\(50.00 EUR\)") as excess:
        credit(issued, "AV-2", -25_000, -5_001)
    assert excess.value.field == "tax"
    credit(issued, "AV-2", -25_000, -5_000)
    with pytest.raises(InvalidInputError, match=r"\(0.00 EUR\)"):
        credit(issued, "AV-3", -1, 0)
    totals = [r["total_cents"] for r in rows(issued, invoice)]
    assert totals == [90_000, -60_000, -30_000]
    audited = rows(issued, audit_entry, audit_entry.c.action == "invoice.credit_note")
    assert len(audited) == 2


def test_a_credit_note_needs_an_invoice_to_correct(issued: Engine) -> None:
    with pytest.raises(NotFoundError, match="F-2024-9999"):
        credit(issued, "AV-1", -100, 0, corrects="F-2024-9999")
    credit(issued, "AV-1", -100, 0)
    with pytest.raises(InvalidInputError, match="AV-1 is a credit note") as refused:
        credit(issued, "AV-2", -100, 0, corrects="AV-1")
    assert refused.value.field == "corrects"
    assert len(rows(issued, invoice)) == 2


@pytest.mark.parametrize(
    ("number", "excl_tax", "tax", "options", "field", "message"),
    [
        ("AV-1", 10_000, 0, {}, "amount_excl_tax", r"negative or zero.*write -100.00"),
        ("AV-1", -10_000, 2_000, {}, "tax", "negative or zero"),
        ("AV-1", 0, 0, {}, "amount_excl_tax", "credits something"),
        (NUMBER, -100, 0, {}, "number", "a number of its own"),
        ("", -100, 0, {}, "number", "1 to 64 characters"),
        ("AV-1", -100, 0, {"issued_on": date(2024, 1, 30)}, "issued_on", "before the invoice"),
    ],
)
def test_bad_requests_are_refused(
    issued: Engine,
    number: str,
    excl_tax: int,
    tax: int,
    options: dict[str, Any],
    field: str,
    message: str,
) -> None:
    with pytest.raises(InvalidInputError, match=message) as refused:
        credit(issued, number, excl_tax, tax, **options)
    assert refused.value.field == field
    assert len(rows(issued, invoice)) == 1
    assert rows(issued, audit_entry) == []


def test_a_credit_note_number_is_unique(issued: Engine) -> None:
    credit(issued, "AV-1", -100, 0)
    with pytest.raises(InvalidInputError, match="exists already") as refused:
        credit(issued, "AV-1", -100, 0)
    assert refused.value.field == "number"


def test_amounts_in_euros_become_exact_cents() -> None:
    assert cents_from_euros("-250", field="f") == -25_000
    assert cents_from_euros(" -250.5 ", field="f") == -25_050
    assert cents_from_euros("-0,07", field="f") == -7
    assert cents_from_euros("19.99", field="f") == 1_999
    assert cents_from_euros("-21474836.47", field="f") == -2_147_483_647
    for wrong in ("-250.505", "1e3", "", "12 000", "-", "€12"):
        with pytest.raises(InvalidInputError) as refused:
            cents_from_euros(wrong, field="--tax")
        assert refused.value.field == "--tax"


# -- the import ---------------------------------------------------------------------------------


def test_importing_the_same_invoice_again_changes_nothing(issued: Engine) -> None:
    before = rows(issued, invoice)
    report = import_document(
        ImportDocument.model_validate(invoice_document()),
        uow=UnitOfWork(issued),
        clock=FixedClock(NOW),
        home_page=HOME,
    )
    assert report.of("invoices") == Counts(unchanged=1)
    assert not report.changed
    assert rows(issued, invoice) == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"billing_name": "Atelier Fictif SAS"}, "billing_name"),
        ({"tax_cents": 15_001}, "tax_cents"),
        ({"issued_on": "2024-02-01"}, "issued_on"),
        ({"contract": None}, "contract"),
        ({"billing_email": None}, "billing_email"),
    ],
)
def test_an_import_that_would_change_an_issued_invoice_is_refused(
    issued: Engine, changes: dict[str, Any], field: str
) -> None:
    before = {table.name: rows(issued, table) for table in (invoice, learner, contract)}
    changed = invoice_document(**changes)
    # All or nothing: the learner and the other invoice of the same file are not imported.
    changed["learners"] = [
        learner_doc("nina.fictive@example.org", "Nina", "Fictive", "2024-02-01T10:00:00Z")
    ]
    changed["invoices"].insert(
        0, invoice_doc("F-2024-0008", "2024-02-29", name="Autre Client Fictif", email=None)
    )
    with pytest.raises(ImportDocumentError) as refused:
        load(issued, changed)
    assert str(refused.value) == (
        f'invoices[1] (number "{NUMBER}"): {field}: invoice {NUMBER} is already issued and'
        " differs: issue a credit note"
    )
    assert NAME not in str(refused.value)
    assert {table.name: rows(issued, table) for table in (invoice, learner, contract)} == before


def test_an_import_cannot_bring_an_invoice_under_a_credit_note_number(issued: Engine) -> None:
    credit(issued, "AV-1", -100, 0)
    clash = invoice_doc("AV-1", "2024-02-15", name=NAME, email=EMAIL, contract_ref=CONTRACT)
    with pytest.raises(ImportDocumentError, match="invoice AV-1 is already issued and differs"):
        load(issued, document(invoices=[clash]))


def test_new_invoices_are_inserted_next_to_stored_ones(issued: Engine) -> None:
    more = invoice_document()
    more["invoices"].append(invoice_doc("F-2024-0008", "2024-02-29", name="Client", email=None))
    report = import_document(
        ImportDocument.model_validate(more),
        uow=UnitOfWork(issued),
        clock=FixedClock(NOW),
        home_page=HOME,
    )
    assert report.of("invoices") == Counts(inserted=1, unchanged=1)
    stored = rows(issued, invoice)
    assert [(r["number"], r["kind"], r["total_cents"]) for r in stored] == [
        (NUMBER, "invoice", 90_000),
        ("F-2024-0008", "invoice", 90_000),
    ]


# -- the PDF ------------------------------------------------------------------------------------


def test_the_invoice_pdf_shows_the_snapshot_and_the_amounts(issued: Engine) -> None:
    text = pdf_text(issued, NUMBER)
    for expected in (
        "Facture",
        NUMBER,
        "31/01/2024",
        CONTRACT,
        NAME,
        "8 rue des Exemples",
        "69000 Lyon",
        "750,00 EUR",
        "150,00 EUR",
        "900,00 EUR",
        default_policy().controller.name,
    ):
        assert expected in text, expected
    assert "Avoir" not in text
    assert EMAIL not in text


def test_the_credit_note_pdf_says_what_it_corrects(issued: Engine) -> None:
    credit(issued, "AV-2024-0001", -25_000, -5_000)
    text = pdf_text(issued, "AV-2024-0001")
    for expected in ("Avoir", "AV-2024-0001", NUMBER, NAME, "-250,00 EUR", "-300,00 EUR"):
        assert expected in text, expected
    english = pdf_text(issued, "AV-2024-0001", lang="en")
    for expected in ("Credit note", "Corrects invoice", NUMBER, "-300.00 EUR", "15 February 2024"):
        assert expected in english, expected


def test_the_pdf_is_the_same_each_time(issued: Engine) -> None:
    with issued.connect() as connection:
        first = invoice_pdf(connection, NUMBER, policy=default_policy())
        assert invoice_pdf(connection, NUMBER, policy=default_policy()) == first


def test_an_unknown_number_has_no_pdf(issued: Engine) -> None:
    with issued.connect() as connection, pytest.raises(NotFoundError, match="F-0000"):
        invoice_pdf(connection, "F-0000", policy=default_policy())


# -- retention ----------------------------------------------------------------------------------


def test_the_sweep_still_deletes_expired_invoices_and_credit_notes(issued: Engine) -> None:
    credit(issued, "AV-2024-0001", -25_000, -5_000)
    # The invoice (31 January 2024) and its credit note (15 February 2024) belong to the same
    # financial year, closing 31 December 2024: both are kept through 31 December 2034.
    close = default_policy().financial_year.close_of(date.fromisoformat(ISSUED))
    assert close == date(2024, 12, 31)
    end = boundary(close, 120)
    assert rule(run_sweep(issued, end.last_kept), "invoices").expired == 0
    assert len(rows(issued, invoice)) == 2
    assert rule(run_sweep(issued, end.first_gone), "invoices").expired == 2
    assert rows(issued, invoice) == []
    with issued.connect() as connection:
        assert connection.execute(select(audit_entry.c.id)).first() is not None
    assert verify(issued).ok
