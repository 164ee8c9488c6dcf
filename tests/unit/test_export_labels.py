"""The people's export names every column it may show, and writes values as people do."""

from __future__ import annotations

from gardien.services.export_cells import Cells
from gardien.services.export_labels import DROPPED, RECORDS, field_label
from gardien.services.export_sheets import STATEMENT_COLUMNS, delimiter
from gardien.services.subject_export import _field_name
from gardien.store.classify import classify
from gardien.store.tables import metadata

# What find_subject_rows adds as context beside a row's own columns.
CONTEXT = {
    "path_title",
    "module_title",
    "sponsor_name",
    "sponsor_kind",
    "funding_type",
    "signed_on",
    "starts_on",
    "ends_on",
    "agreement_reference",
    "opco_name",
    "employer_name",
    "training_title",
    "client",
    "voided",
    "length",
}


def _unlabelled(record: str, name: str) -> bool:
    """Whether the heading falls back on the name in words (no label in the table)."""
    return field_label(record, name, lambda message: "labelled") != "labelled"


def test_every_column_of_an_exported_record_has_a_label() -> None:
    missing = []
    for record in RECORDS:
        table = metadata.tables[record]
        for column in table.columns:
            mark = classify(column)
            if mark.lookup or column.primary_key or (record, column.name) in DROPPED:
                continue
            if any(fk.column.table.name == "learner" for fk in column.foreign_keys):
                continue
            name = _field_name(record, column.name)
            if (record, name) not in DROPPED and _unlabelled(record, name):
                missing.append(f"{record}.{name}")
    missing += [name for name in (*CONTEXT, *STATEMENT_COLUMNS) if _unlabelled("", name)]
    assert missing == []


def test_values_are_written_as_people_write_them() -> None:
    fr, en = Cells("fr"), Cells("en")
    assert (fr.cell("voided", True), en.cell("voided", False)) == ("Oui", "No")
    assert fr.cell("enrolled_at", "2026-12-06") == "06/12/2026"
    assert fr.cell("sent_at", "2026-12-06T09:30:00+00:00") == "06/12/2026 10:30"
    # Summer time, its change (29 March 2026, 01:00 UTC), an offset other than UTC's.
    assert fr.cell("sent_at", "2026-07-01T09:30:00+00:00") == "01/07/2026 11:30"
    assert fr.cell("sent_at", "2026-03-29T00:59:00+00:00") == "29/03/2026 01:59"
    assert fr.cell("sent_at", "2026-03-29T01:00:00+00:00") == "29/03/2026 03:00"
    assert en.cell("sent_at", "2026-07-01T09:30:00-04:00") == "1 July 2026 15:30"
    assert en.cell("enrolled_at", "2026-12-06") == "6 December 2026"
    assert fr.cell("score_scaled", 0.84) == "84\xa0%"
    assert fr.cell("total_cents", 60000, currency="EUR") == "600,00\xa0€"
    assert fr.cell("status", "in_progress") == "en cours"
    assert en.cell("funding_type", "opco") == "OPCO funding"
    assert fr.cell("details", {"fields": ["given_name"], "format": "json"}) == (
        "Champs : Prénom; Format : json"
    )
    assert en.cell("outcome", {"score": {"scaled": 0.5}}) == "score › scaled: 0.5"
    assert fr.heading("cpf_dossier", "edof_number")[0].isupper()


def test_a_text_a_spreadsheet_would_run_is_escaped() -> None:
    cells = Cells("fr")
    assert cells.cell("message", '=HYPERLINK("https://example.org")').startswith("'=")
    assert cells.cell("message", "Bonjour") == "Bonjour"


def test_french_files_use_semicolons_english_commas() -> None:
    assert (delimiter("fr"), delimiter("en")) == (";", ",")
