"""read_document: every bad input gives one clear message naming the file, record and field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gardien.errors import ImportDocumentError
from gardien.services.importing.reader import read_document

LEARNER = {
    "email": "Alix.Exemple@Example.org",
    "given_name": "Alix",
    "family_name": "Exemplaire",
    "created_at": "2024-01-10T09:00:00Z",
    "last_activity_at": "2024-03-01T10:00:00+01:00",
}
CONTRACT = {
    "reference": "C-2024-017",
    "funding_type": "cpf",
    "signed_on": "2024-01-05",
    "starts_on": "2024-01-10",
    "ends_on": "2024-06-30",
}


def _file(tmp_path: Path, content: Any, name: str = "data.json") -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_text(json.dumps(content), encoding="utf-8")
    return path


def _message(path: Path) -> str:
    with pytest.raises(ImportDocumentError) as caught:
        read_document(path)
    assert caught.value.exit_code == 2
    return str(caught.value)


def test_a_valid_document_is_read_and_normalised(tmp_path: Path) -> None:
    statement = {
        "id": "6F1C7A52-2D0B-4C3E-9A61-3F0C1B2A4D01",
        "learner": " Alix.Exemple@Example.org ",
        "verb": "http://adlnet.gov/expapi/verbs/passed",
        "object": "https://lms.example.org/m1",
        "timestamp": "2024-02-01T10:00:00Z",
    }
    document = read_document(
        _file(tmp_path, {"learners": [LEARNER], "contracts": [CONTRACT], "statements": [statement]})
    )
    assert document.learners[0].email == "alix.exemple@example.org"
    assert document.statements[0].learner == "alix.exemple@example.org"
    assert document.statements[0].id == "6f1c7a52-2d0b-4c3e-9a61-3f0c1b2a4d01"
    assert document.contracts[0].funding_type == "cpf"


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = _file(tmp_path, b"\xef\xbb\xbf" + json.dumps({"learners": [LEARNER]}).encode())
    assert len(read_document(path).learners) == 1


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "data.json"
    assert _message(path) == f"{path}: no such file"


def test_a_directory_is_not_a_file(tmp_path: Path) -> None:
    assert _message(tmp_path) == f"{tmp_path}: is a directory, not a file"


@pytest.mark.parametrize("content", [b"", b"  \n\t\n"])
def test_an_empty_file(tmp_path: Path, content: bytes) -> None:
    path = _file(tmp_path, content)
    assert _message(path) == f"{path}: the file is empty"


def test_malformed_json_gives_line_and_column(tmp_path: Path) -> None:
    path = _file(tmp_path, '{"learners": [\n  {"email": "a@example.org",}\n]}')
    message = _message(path)
    assert message.startswith(f"{path}: malformed JSON: ")
    assert "line 2 column" in message


@pytest.mark.parametrize(
    ("content", "kind"), [("[1, 2]", "an array"), ('"text"', "a string"), ("42", "a number")]
)
def test_the_document_must_be_an_object(tmp_path: Path, content: str, kind: str) -> None:
    path = _file(tmp_path, content)
    assert _message(path) == f"{path}: the document must be a JSON object of sections, not {kind}"


def test_unknown_funding_type_names_record_key_and_field(tmp_path: Path) -> None:
    bad = {**CONTRACT, "funding_type": "paypal"}
    path = _file(tmp_path, {"contracts": [{**CONTRACT, "reference": "C-1"}] * 3 + [bad]})
    assert _message(path) == (
        f'{path}: contracts[3] (reference "C-2024-017"): funding_type: '
        "'paypal' is not one of online_payment, cpf, opco, employer_plan, school_plan"
    )


def test_wrong_type(tmp_path: Path) -> None:
    path = _file(tmp_path, {"contracts": [{**CONTRACT, "amount_cents": "lots"}]})
    assert _message(path) == (
        f'{path}: contracts[0] (reference "C-2024-017"): amount_cents: '
        "must be a whole number, not a string ('lots')"
    )


def test_a_section_must_be_an_array(tmp_path: Path) -> None:
    path = _file(tmp_path, {"learners": {"email": "a@example.org"}})
    assert _message(path) == f"{path}: learners: must be an array, not an object"


def test_a_record_must_be_an_object(tmp_path: Path) -> None:
    path = _file(tmp_path, {"learners": ["a@example.org"]})
    assert _message(path) == f"{path}: learners[0]: must be an object, not a string"


def test_unknown_field_lists_the_expected_ones(tmp_path: Path) -> None:
    path = _file(tmp_path, {"learners": [{**LEARNER, "phone": "0600000000"}]})
    assert _message(path) == (
        f'{path}: learners[0] (email "Alix.Exemple@Example.org"): phone: unknown field '
        "(expected one of: email, given_name, family_name, created_at, last_activity_at)"
    )


def test_unknown_field_of_a_statement(tmp_path: Path) -> None:
    statement = {
        "id": "6f1c7a52-2d0b-4c3e-9a61-3f0c1b2a4d01",
        "learner": "a@example.org",
        "verb": "http://adlnet.gov/expapi/verbs/passed",
        "object": "https://lms.example.org/m1",
        "timestamp": "2024-02-01T10:00:00Z",
        "result": {"succes": True},
    }
    message = _message(_file(tmp_path, {"statements": [statement]}))
    assert 'statements[0] (id "6f1c7a52-2d0b-4c3e-9a61-3f0c1b2a4d01"): result.succes: ' in message
    assert "unknown field (expected one of: success, completion, score_scaled)" in message


def test_unknown_section(tmp_path: Path) -> None:
    path = _file(tmp_path, {"students": []})
    message = _message(path)
    assert message.startswith(f"{path}: students: unknown section (expected one of: format, ")


def test_missing_field(tmp_path: Path) -> None:
    learner = {k: v for k, v in LEARNER.items() if k != "family_name"}
    path = _file(tmp_path, {"learners": [learner]})
    assert _message(path) == (
        f'{path}: learners[0] (email "Alix.Exemple@Example.org"): family_name: is required'
    )


def test_bad_date(tmp_path: Path) -> None:
    path = _file(tmp_path, {"contracts": [{**CONTRACT, "ends_on": "2024-02-30"}]})
    message = _message(path)
    assert message.startswith(f'{path}: contracts[0] (reference "C-2024-017"): ends_on: ')
    assert "'2024-02-30'" in message


def test_naive_datetime(tmp_path: Path) -> None:
    path = _file(tmp_path, {"learners": [{**LEARNER, "created_at": "2024-01-10T09:00:00"}]})
    assert _message(path) == (
        f'{path}: learners[0] (email "Alix.Exemple@Example.org"): created_at: '
        "'2024-01-10T09:00:00' has no time zone: add Z (UTC) or an offset such as +01:00"
    )


@pytest.mark.parametrize(
    "address", ["alix.example.org", "alix@", "alix@example", "alix@exa mple.org", "a@b.test"]
)
def test_invalid_email(tmp_path: Path, address: str) -> None:
    path = _file(tmp_path, {"learners": [{**LEARNER, "email": address}]})
    message = _message(path)
    assert message.startswith(f'{path}: learners[0] (email "{address}"): email: {address!r} ')
    assert "is not a valid e-mail address: " in message


def test_nested_record_errors_name_the_parent(tmp_path: Path) -> None:
    enrolment = {
        "learner": "a@example.org",
        "path": "PY-101",
        "enrolled_at": "2024-01-10T09:30:00Z",
        "status": "in_progress",
        "progress": 50,
        "modules": [{"module": "M1", "status": "done", "updated_at": "2024-02-01T10:00:00Z"}],
    }
    path = _file(tmp_path, {"enrolments": [enrolment]})
    assert _message(path) == (
        f'{path}: enrolments[0] (learner "a@example.org", path "PY-101"): modules[0].status: '
        "'done' is not one of attempted, completed, passed, failed"
    )


def test_further_problems_are_counted(tmp_path: Path) -> None:
    learners = [{**LEARNER, "created_at": "x"}, {**LEARNER, "last_activity_at": "y"}]
    message = _message(_file(tmp_path, {"learners": learners}))
    assert message.endswith("(and 1 more problem)")
