"""A bad document gives one clear message and leaves the database exactly as it was.

What JSON parsers let through is refused too, with exit 2 and one line naming the field, the
same way on SQLite and PostgreSQL: a key named twice, a value of the wrong JSON type, the NUL
character, a date or instant out of the documented years (1900 to 2200).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from gardien.cli.main import main
from gardien.domain.clock import FixedClock
from gardien.errors import ImportDocumentError
from gardien.services.importing import learning
from gardien.services.importing.reader import read_document
from gardien.services.importing.writer import import_document
from gardien.store.engine import make_engine
from gardien.store.uow import UnitOfWork
from tests.support.import_samples import dump_tables, full_document, write

Edit = Callable[[dict[str, Any]], None]


def _import(engine: Engine, path: Path) -> None:
    import_document(
        read_document(path),
        uow=UnitOfWork(engine),
        clock=FixedClock.on(date(2024, 4, 1)),
        home_page="https://gardien.example.org",
    )


def _fails(engine: Engine, path: Path) -> str:
    before = dump_tables(engine)
    with pytest.raises(ImportDocumentError) as caught:
        _import(engine, path)
    assert dump_tables(engine) == before, "a failed import must leave nothing behind"
    return str(caught.value)


def _set(section: str, index: int, field: str, value: Any) -> Edit:
    def edit(document: dict[str, Any]) -> None:
        document[section][index][field] = value

    return edit


def _append(section: str, record_from: int, **changes: Any) -> Edit:
    def edit(document: dict[str, Any]) -> None:
        record = copy.deepcopy(document[section][record_from])
        record.update(changes)
        document[section].append(record)

    return edit


# Each case: an edit of the full document whose LAST record is dangling, and the message.
DANGLING: list[tuple[str, Edit, str]] = [
    (
        "contract sponsor",
        _append("contracts", 0, reference="C-LAST", sponsor="SP-NONE", learners=[]),
        'contracts[3] (reference "C-LAST"): sponsor: '
        'no sponsor "SP-NONE" in the document or the database',
    ),
    (
        "contract learner",
        _append("contracts", 0, reference="C-LAST", learners=["ghost@example.org"]),
        'contracts[3] (reference "C-LAST"): learners[0]: '
        'no learner "ghost@example.org" in the document or the database',
    ),
    (
        "enrolment path",
        _append("enrolments", 1, path="NOPE", modules=[]),
        'enrolments[2] (learner "noe.fictif@example.com", path "NOPE"): path: '
        'no learning path "NOPE" in the document or the database',
    ),
    (
        "module not in path",
        _append(
            "enrolments",
            1,
            path="PY-101",
            modules=[{"module": "M9", "status": "passed", "updated_at": "2024-02-01T10:00:00Z"}],
        ),
        'enrolments[2] (learner "noe.fictif@example.com", path "PY-101"): modules[0].module: '
        'no module "M9" in learning path "PY-101"',
    ),
    (
        "statement learner",
        _append(
            "statements",
            0,
            id="0d9e3b1c-6a1f-4b8e-8f6e-2b9c4d7a1e55",
            learner="ghost@example.org",
        ),
        'statements[2] (id "0d9e3b1c-6a1f-4b8e-8f6e-2b9c4d7a1e55"): learner: '
        'no learner "ghost@example.org" in the document or the database',
    ),
    (
        "invoice contract",
        _append("invoices", 0, number="F-LAST", contract="C-NONE"),
        'invoices[1] (number "F-LAST"): contract: '
        'no contract "C-NONE" in the document or the database',
    ),
    (
        "opco learner",
        _append("opco_dossiers", 0, agreement_reference="AG-LAST", learner="ghost@example.org"),
        'opco_dossiers[1] (agreement_reference "AG-LAST"): learner: '
        'no learner "ghost@example.org" in the document or the database',
    ),
    (
        "cpf contract",
        _append("cpf_dossiers", 0, edof_number="EDOF-LAST", contract="C-NONE"),
        'cpf_dossiers[1] (edof_number "EDOF-LAST"): contract: '
        'no contract "C-NONE" in the document or the database',
    ),
]


@pytest.mark.parametrize(
    ("edit", "message"), [(e, m) for _, e, m in DANGLING], ids=[n for n, _, _ in DANGLING]
)
@pytest.mark.parametrize("prefilled", [False, True], ids=["empty", "with-data"])
def test_a_dangling_last_record_rolls_everything_back(
    engine: Engine, tmp_path: Path, edit: Edit, message: str, prefilled: bool
) -> None:
    if prefilled:
        _import(engine, write(tmp_path / "first.json", full_document()))
    document = full_document()
    for learner_record in document["learners"]:
        learner_record["given_name"] += " (changed)"
    edit(document)
    path = write(tmp_path / "data.json", document)
    assert _fails(engine, path) == f"{path}: {message}"


def test_a_learner_in_the_database_is_a_valid_reference(engine: Engine, tmp_path: Path) -> None:
    _import(engine, write(tmp_path / "first.json", full_document()))
    document = full_document()
    del document["learners"]
    _import(engine, write(tmp_path / "second.json", document))


def test_a_raw_statement_still_naming_the_learner_is_refused(
    engine: Engine, tmp_path: Path
) -> None:
    document = full_document()
    raw = document["statements"][1]["raw"]
    raw["result"] = {"response": "written by Alix Exemplaire"}
    path = write(tmp_path / "data.json", document)
    assert _fails(engine, path) == f"{path}: " + (
        'statements[1] (id "6f1c7a52-2d0b-4c3e-9a61-3f0c1b2a4d02"): raw: '
        "still holds the learner's full name once the actor is replaced; remove it"
    )


def test_a_duplicate_key_is_refused_before_anything_is_written(
    engine: Engine, tmp_path: Path
) -> None:
    document = full_document()
    document["invoices"].append(copy.deepcopy(document["invoices"][0]))
    path = write(tmp_path / "data.json", document)
    assert _fails(engine, path) == f"{path}: " + (
        'invoices[1] (number "F-2024-0001"): number: the same record as invoices[0]'
    )


def test_a_database_refusal_becomes_a_clear_message(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _import(engine, write(tmp_path / "first.json", full_document()))
    # Two new learners given the same pseudonym: the unique constraint refuses the second.
    monkeypatch.setattr(learning, "_new_pseudonym", lambda: ("same-pseudonym",))
    document = full_document()
    for n in range(2):
        document["learners"].append(
            {**document["learners"][1], "email": f"twin{n}@example.org", "family_name": "Twin"}
        )
    path = write(tmp_path / "data.json", document)
    message = _fails(engine, path)
    assert message.startswith(f"{path}: the database refused the data, nothing was imported: ")
    assert "pseudonym" in message
    assert "twin" not in message, "the refused values (personal data) are not shown"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "the file is empty"),
        (b'{"learners": [', "malformed JSON: "),
        (
            b'{"learners": [{"email": "a@example.org", "given_name": 7, "family_name": "B",'
            b' "created_at": "2024-01-01T00:00:00Z", "last_activity_at": "2024-01-01T00:00:00Z"}]}',
            'learners[0] (email "a@example.org"): given_name: must be a string, not a number (7)',
        ),
        (
            b'{"contracts": [{"reference": "C-9", "funding_type": "paypal", "signed_on":'
            b' "2024-01-01", "starts_on": "2024-01-01", "ends_on": "2024-02-01"}]}',
            "contracts[0] (reference \"C-9\"): funding_type: 'paypal' is not one of online_payment",
        ),
    ],
    ids=["empty", "malformed", "wrong-type", "unknown-funding-type"],
)
def test_bad_files_change_nothing(
    engine: Engine, tmp_path: Path, content: bytes, expected: str
) -> None:
    _import(engine, write(tmp_path / "first.json", full_document()))
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    message = _fails(engine, path)
    assert message.startswith(f"{path}: {expected}")


# --- what JSON parsers let through ------------------------------------------------------------

Text = Callable[[], str]
RAW_ID = 'statements[1] (id "6F1C7A52-2D0B-4C3E-9A61-3F0C1B2A4D02")'
ALIX = 'learners[0] (email "Alix.Exemple@Example.org")'
OUT_OF_RANGE = (
    "is out of range: dates and instants must fall in the years 1900 to 2200 (instants in UTC)"
)
NUL = "holds the NUL character (\\u0000), which is not accepted in any text"
TWICE = "appears twice in the same object (the first value would be lost)"


def _edited(section: str, index: int, field: str, value: Any) -> Text:
    def text() -> str:
        document = full_document()
        target = document[section][index]
        *parents, last = field.split(".")
        for name in parents:
            target = target[name]
        target[last] = value
        return json.dumps(document, ensure_ascii=False)

    return text


def _replaced(old: str, new: str) -> Text:
    """The full document's JSON text with ``old`` (found exactly once) written ``new``."""

    def text() -> str:
        original = json.dumps(full_document(), ensure_ascii=False)
        assert original.count(old) == 1, old
        return original.replace(old, new)

    return text


REFUSED: list[tuple[str, Text, str]] = [
    (
        "repeated-section",
        _replaced('"format": 1, ', '"format": 1, "learners": [], '),
        f"learners: {TWICE}",
    ),
    (
        "repeated-field",
        _replaced('"given_name": "Alix"', '"given_name": "Alix", "given_name": "Alexis"'),
        f"{ALIX}: given_name: {TWICE}",
    ),
    (
        "repeated-deep-in-raw",
        _replaced('"platform": "Example LMS"', '"platform": "Example LMS", "platform": "X"'),
        f"{RAW_ID}: raw.context.platform: {TWICE}",
    ),
    (
        "boolean-for-cents",
        _edited("invoices", 0, "tax_cents", True),
        'invoices[0] (number "F-2024-0001"): tax_cents: must be a whole number, not a boolean'
        " (true)",
    ),
    (
        "string-for-cents",
        _edited("contracts", 0, "amount_cents", "150000"),
        'contracts[0] (reference "C-2024-001"): amount_cents: must be a whole number,'
        " not a string ('150000')",
    ),
    (
        "fraction-for-percent",
        _edited("enrolments", 0, "progress", 50.5),
        'enrolments[0] (learner "alix.exemple@example.org", path "PY-101"): progress:'
        " must be a whole number, got 50.5",
    ),
    (
        "number-for-string",
        _edited("learners", 0, "family_name", 7),
        f"{ALIX}: family_name: must be a string, not a number (7)",
    ),
    (
        "string-for-boolean",
        _edited("statements", 0, "result.success", "true"),
        'statements[0] (id "6f1c7a52-2d0b-4c3e-9a61-3f0c1b2a4d01"): result.success:'
        " must be true or false, not a string ('true')",
    ),
    (
        "boolean-for-hours",
        _edited("opco_dossiers", 0, "duration_hours", True),
        'opco_dossiers[0] (agreement_reference "OPCO-AG-0001"): duration_hours:'
        " must be a number, not a boolean (true)",
    ),
    (
        "number-for-date",
        _edited("contracts", 0, "signed_on", 20240105),
        'contracts[0] (reference "C-2024-001"): signed_on: must be a date, written "YYYY-MM-DD",'
        " not a number (20240105)",
    ),
    (
        "boolean-for-format",
        lambda: '{"format": true}',
        "format: must be the number 1, not a boolean",
    ),
    (
        "nul-in-a-name",
        _edited("learners", 0, "family_name", "Exem\x00plaire"),
        f"{ALIX}: family_name: {NUL}",
    ),
    (
        "nul-in-raw",
        _edited("statements", 1, "raw.context.platform", "LMS\x00"),
        f"{RAW_ID}: raw.context.platform: {NUL}",
    ),
    (
        "nul-in-a-key",
        _edited("opco_dossiers", 0, "attendance_summary", {"quizzes\x00": 3}),
        'opco_dossiers[0] (agreement_reference "OPCO-AG-0001"): attendance_summary.quizzes\\x00:'
        f" {NUL}",
    ),
    (
        # The message quotes the refused address: its CR/LF must not split the line in two.
        "control-characters-in-an-address",
        _edited("learners", 1, "email", "noe\r\n\x1b[2J@example.com"),
        'learners[1] (email "noe\\r\\n\\x1b[2J@example.com"): email:'
        " 'noe\\r\\n\\x1b[2J@example.com' is not a valid e-mail address: The email address"
        " contains invalid characters before the @-sign: '[', U+000A, U+000D, U+001B.",
    ),
    (
        "instant-before-year-1-in-utc",
        _edited("learners", 0, "created_at", "0001-01-01T00:00:00+14:00"),
        f"{ALIX}: created_at: '0001-01-01T00:00:00+14:00' {OUT_OF_RANGE}",
    ),
    (
        "instant-after-year-9999-in-utc",
        _edited("statements", 0, "timestamp", "9999-12-31T23:59:59-14:00"),
        'statements[0] (id "6f1c7a52-2d0b-4c3e-9a61-3f0c1b2a4d01"): timestamp:'
        f" '9999-12-31T23:59:59-14:00' {OUT_OF_RANGE}",
    ),
    (
        "date-before-1900",
        _edited("invoices", 0, "issued_on", "1899-12-31"),
        f"invoices[0] (number \"F-2024-0001\"): issued_on: '1899-12-31' {OUT_OF_RANGE}",
    ),
    (
        "date-after-2200",
        _edited("contracts", 0, "ends_on", "2201-01-01"),
        f"contracts[0] (reference \"C-2024-001\"): ends_on: '2201-01-01' {OUT_OF_RANGE}",
    ),
]


@pytest.mark.parametrize(
    ("text", "message"), [(t, m) for _, t, m in REFUSED], ids=[n for n, _, _ in REFUSED]
)
def test_what_json_parsers_let_through_is_refused_in_one_line(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], text: Text, message: str
) -> None:
    path = tmp_path / "data.json"
    path.write_text(text(), encoding="utf-8")
    engine = make_engine(database_url)
    try:
        before = dump_tables(engine)
        assert main(["--database-url", database_url, "import", str(path)]) == 2
        assert dump_tables(engine) == before, "a refused import must write nothing"
    finally:
        engine.dispose()
    captured = capsys.readouterr()
    assert captured.err == f"gardien: {path}: {message}\n"
    assert captured.out == ""


def test_the_bounds_themselves_are_accepted(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = full_document()
    document["learners"][0]["created_at"] = "1900-01-01T00:00:00Z"
    document["learners"][0]["last_activity_at"] = "2200-12-31T23:59:59+01:00"
    document["invoices"][0]["issued_on"] = "1900-01-01"
    document["contracts"][2]["ends_on"] = "2200-12-31"
    path = write(tmp_path / "data.json", document)
    assert main(["--database-url", database_url, "import", str(path)]) == 0, capsys.readouterr().err
    assert "learners: 2 inserted" in capsys.readouterr().out
