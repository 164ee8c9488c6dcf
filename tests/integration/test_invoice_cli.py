"""``gardien invoice pdf``, ``gardien invoice credit-note`` and ``gardien opco certificate``, run
in-process through :func:`gardien.cli.main.main` as a user would, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine

from gardien.cli.main import main
from gardien.store.tables import audit_entry, invoice
from tests.support.retention_samples import (
    contract_doc,
    document,
    invoice_doc,
    learner_doc,
    load,
    opco_doc,
    rows,
)

NUMBER = "F-2024-0011"
NAME = "Atelier Fictif SARL"
EMAIL = "camille.fictive@example.org"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GARDIEN_POLICY", raising=False)
    monkeypatch.setenv("GARDIEN_NOW", "2024-12-02")


@pytest.fixture
def loaded(engine: Engine) -> Engine:
    """An invoice (900.00 EUR) and an OPCO dossier, loaded through the import."""
    load(
        engine,
        document(
            learners=[learner_doc(EMAIL, "Camille", "Fictive", "2024-11-29T16:00:00Z")],
            contracts=[contract_doc("C-OPCO-1", "opco", "2024-11-29", learners=[EMAIL])],
            invoices=[invoice_doc(NUMBER, "2024-11-30", name=NAME, email=None)],
            opco_dossiers=[
                opco_doc("AC-1", "C-OPCO-1", EMAIL, "Fictive", start="2024-09-02", end="2024-11-29")
            ],
        ),
    )
    return engine


def run(database_url: str, *argv: str) -> int:
    return main(["--database-url", database_url, *argv])


def text_of(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(path.read_bytes())).pages)


def test_invoice_pdf_writes_the_file(
    loaded: Engine, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "facture.pdf"
    assert run(database_url, "invoice", "pdf", NUMBER, "--out", str(out)) == 0
    printed = capsys.readouterr()
    assert printed.err == ""
    assert f"invoice {NUMBER} written to {out}" in printed.out
    assert NAME not in printed.out
    text = text_of(out)
    assert "Facture" in text
    assert NAME in text
    assert "900,00 EUR" in text


def test_credit_note_then_its_english_pdf(
    loaded: Engine, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["invoice", "credit-note", "--corrects", NUMBER, "--number", "AV-1"]
    amounts = ["--amount-excl-tax=-250.00", "--tax", "-50"]
    assert run(database_url, *argv, "--issued-on", "2024-12-02", *amounts) == 0
    assert capsys.readouterr().out.strip() == (
        f"credit note AV-1 issued on 2024-12-02: corrects {NUMBER}, total -300.00"
    )
    (note,) = rows(loaded, invoice, invoice.c.kind == "credit_note")
    assert (note["total_cents"], note["billing_name"]) == (-30_000, NAME)
    (entry,) = rows(loaded, audit_entry, audit_entry.c.action == "invoice.credit_note")
    assert entry["actor"] == "cli"
    out = tmp_path / "avoir.pdf"
    assert run(database_url, "invoice", "pdf", "AV-1", "--lang", "en", "--out", str(out)) == 0
    text = text_of(out)
    assert "Credit note" in text
    assert NUMBER in text
    assert "-300.00 EUR" in text


@pytest.mark.parametrize(
    ("amounts", "message"),
    [
        (
            ["--amount-excl-tax", "-250.005", "--tax", "0"],
            "--amount-excl-tax: at most two decimals",
        ),
        (["--amount-excl-tax", "250", "--tax", "0"], "amount_excl_tax: a credit note's amounts"),
        (["--amount-excl-tax", "-2000", "--tax", "0"], "more than invoice"),
        (["--amount-excl-tax", "douze", "--tax", "0"], "not an amount in euros"),
    ],
)
def test_a_bad_credit_note_is_refused_on_stderr(
    loaded: Engine,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    amounts: list[str],
    message: str,
) -> None:
    argv = ["invoice", "credit-note", "--corrects", NUMBER, "--number", "AV-1"]
    assert run(database_url, *argv, "--issued-on", "2024-12-02", *amounts) == 2
    printed = capsys.readouterr()
    assert printed.out == ""
    assert printed.err.startswith("gardien: ")
    assert message in printed.err
    assert len(rows(loaded, invoice)) == 1


def test_a_compact_date_is_refused(
    loaded: Engine, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["invoice", "credit-note", "--corrects", NUMBER, "--number", "AV-1", "--tax", "0"]
    assert run(database_url, *argv, "--issued-on", "20241202", "--amount-excl-tax", "-1") == 2
    assert "--issued-on: not a date (YYYY-MM-DD)" in capsys.readouterr().err


def test_unknown_numbers_exit_non_zero(
    loaded: Engine, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "none.pdf"
    assert run(database_url, "invoice", "pdf", "F-0000", "--out", str(out)) == 1
    assert "no invoice numbered 'F-0000'" in capsys.readouterr().err
    assert not out.exists()
    argv = ["invoice", "credit-note", "--corrects", "F-0000", "--number", "AV-1", "--tax", "0"]
    assert run(database_url, *argv, "--issued-on", "2024-12-02", "--amount-excl-tax", "-1") == 1
    assert "no invoice numbered 'F-0000'" in capsys.readouterr().err


def test_opco_certificate(
    loaded: Engine, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "certificat.pdf"
    assert run(database_url, "opco", "certificate", "--agreement", "AC-1", "--out", str(out)) == 0
    printed = capsys.readouterr().out
    assert f"certificate of completion for AC-1 written to {out}" in printed
    assert "Camille" not in printed
    text = text_of(out)
    assert "Certificat de réalisation" in text
    assert "Camille Fictive" in text
    assert "le 02/12/2024" in text  # GARDIEN_NOW: the day it is made
    english = tmp_path / "certificate.pdf"
    argv = ["opco", "certificate", "--agreement", "AC-1", "--lang", "en", "--out", str(english)]
    assert run(database_url, *argv, "--as-of", "2024-12-05") == 0
    text = text_of(english)
    assert "Certificate of completion" in text
    assert "on 5 December 2024" in text


def test_opco_certificate_of_an_unknown_agreement(
    loaded: Engine, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "certificat.pdf"
    argv = ["opco", "certificate", "--agreement", "AC-0000", "--out", str(out)]
    assert run(database_url, *argv) == 1
    assert "no OPCO dossier with agreement reference 'AC-0000'" in capsys.readouterr().err
    assert not out.exists()
