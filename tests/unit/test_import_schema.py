"""docs/import.schema.json is exactly what ImportDocument generates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gardien.services.importing.checks import check_document
from gardien.services.importing.document import ImportDocument
from gardien.services.importing.schema import import_schema, main, render

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "import.schema.json"


def test_the_committed_schema_is_the_generated_one() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == render(), (
        "docs/import.schema.json is out of date: "
        "run python -m gardien.services.importing.schema docs/import.schema.json"
    )


def test_the_schema_names_every_section_and_forbids_unknown_ones() -> None:
    schema = import_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False
    assert {"learners", "statements", "contracts", "opco_dossiers"} <= set(schema["properties"])
    funding = schema["$defs"]["FundingType"]["enum"]
    assert funding == ["online_payment", "cpf", "opco", "employer_plan", "school_plan"]


def test_check_mode_reports_a_stale_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = tmp_path / "schema.json"
    stale.write_text("{}\n", encoding="utf-8")
    assert main(["--check", str(stale)]) == 1
    assert "out of date" in capsys.readouterr().err
    assert main([str(stale)]) == 0
    assert main(["--check", str(stale)]) == 0
    assert json.loads(stale.read_text(encoding="utf-8"))["title"] == "gardien import document"


def test_the_documented_example_is_a_valid_document() -> None:
    text = (COMMITTED.parent / "import.md").read_text(encoding="utf-8")
    example = text.split("## Example", 1)[1].split("```json", 1)[1].split("```", 1)[0]
    document = ImportDocument.model_validate_json(example)
    check_document(document)
    assert document.contracts[0].funding_type == "opco"
    assert len(document.statements) == 1
