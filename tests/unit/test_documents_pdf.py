"""The PDF building blocks: latin-1 text for the core font, formats, deterministic bytes."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pypdf import PdfReader

from gardien.errors import UnsupportedLanguageError
from gardien.services.documents.certificate import CertificateData, certificate_of_completion
from gardien.services.documents.pdf import (
    Letterhead,
    PdfDocument,
    check_lang,
    format_day,
    format_money,
    format_number,
    latin1,
)

DATA = CertificateData(
    controller_name="Formations Exemple",
    controller_address="3 place de l'Exemple, 69000 Lyon, France",
    agreement_reference="AC-2024-0042",
    opco_name="OPCO Exemple",
    trainee_name="Camille Fictive",
    employer_name="Menuiserie Fictive SAS",
    training_title="Français A2",
    training_start=date(2024, 9, 2),
    training_end=date(2024, 11, 29),
    duration_hours=35.0,
    attendance_summary={"connections": 14, "hours_connected": 12.5},
    issued_on=date(2024, 12, 2),
)


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


# -- latin-1 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given_text", "expected"),
    [
        ("1 250 €", "1 250 EUR"),
        ("l’action", "l'action"),
        ("« cœur »", "« coeur »"),
        ("Œuvre", "OEuvre"),
        ("Paris – Lyon…", "Paris - Lyon..."),
        ("12\u202f%", "12 %"),
        ("Ștefan", "Stefan"),  # the comma below comes off
        ("Łukasz", "?ukasz"),  # no latin-1 letter to fall back on
        ("漢", "?"),
    ],
)
def test_what_latin1_lacks_is_replaced(given_text: str, expected: str) -> None:
    assert latin1(given_text) == expected


def test_latin1_text_is_left_as_it_is() -> None:
    french = "Intitulé : « Français », déroulée à Besançon, où l'été fut sûr ; ÇÀÉÈÊËÎÏÔÙÛÜ ÿ"
    assert latin1(french) == french


@given(st.text())
def test_whatever_the_text_the_core_font_can_encode_it(text: str) -> None:
    latin1(text).encode("latin-1")


def test_a_replaced_character_reads_back_from_the_pdf() -> None:
    doc = PdfDocument(
        letterhead=Letterhead("Formations Exemple", "3 place de l'Exemple, 69000 Lyon"),
        title="Tarif",
        issued_on=date(2024, 1, 31),
        lang="fr",
    )
    doc.paragraph("Le cœur du tarif : 1 250 € l’heure.")
    assert "Le coeur du tarif : 1 250 EUR l'heure." in text_of(doc.output())


# -- formats ------------------------------------------------------------------------------------


def test_amounts_have_two_decimals_and_the_currency() -> None:
    assert format_money(125_000, "EUR", "fr") == "1 250,00 EUR"
    assert format_money(125_000, "EUR", "en") == "1,250.00 EUR"
    assert format_money(-30_005, "EUR", "fr") == "-300,05 EUR"
    assert format_money(-5, "USD", "en") == "-0.05 USD"
    assert format_money(0, "EUR", "fr") == "0,00 EUR"


def test_quantities_and_days() -> None:
    assert format_number(35.0, "fr") == "35"
    assert format_number(12.5, "fr") == "12,5"
    assert format_number(12.5, "en") == "12.5"
    assert format_number(7.125, "en") == "7.12"
    assert format_day(date(2024, 3, 5), "fr") == "05/03/2024"
    assert format_day(date(2024, 3, 5), "en") == "5 March 2024"


def test_only_french_and_english() -> None:
    assert check_lang("fr") == "fr"
    assert check_lang("en") == "en"
    with pytest.raises(UnsupportedLanguageError, match="'de'"):
        check_lang("de")
    with pytest.raises(UnsupportedLanguageError):
        certificate_of_completion(replace(DATA, lang="de"))


# -- determinism --------------------------------------------------------------------------------


def test_the_same_data_gives_the_same_bytes() -> None:
    first = certificate_of_completion(DATA)
    assert first.startswith(b"%PDF-")
    assert certificate_of_completion(replace(DATA)) == first


def test_the_pdf_is_dated_by_its_issue_date_not_the_clock() -> None:
    reader = PdfReader(io.BytesIO(certificate_of_completion(DATA)))
    assert reader.metadata is not None
    assert reader.metadata.creation_date == datetime(2024, 12, 2, tzinfo=UTC)
    later = certificate_of_completion(replace(DATA, issued_on=date(2024, 12, 3)))
    assert later != certificate_of_completion(DATA)


def test_the_metadata_name_the_document_not_the_person() -> None:
    reader = PdfReader(io.BytesIO(certificate_of_completion(DATA)))
    assert reader.metadata is not None
    assert reader.metadata.title == "Certificat de réalisation"
    metadata = " ".join(str(value) for value in reader.metadata.values())
    assert "Camille" not in metadata
    assert "Fictive" not in metadata
