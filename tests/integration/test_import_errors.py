"""A bad document gives one clear message and leaves the database exactly as it was."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from gardien.domain.clock import FixedClock
from gardien.errors import ImportDocumentError
from gardien.services.importing import learning
from gardien.services.importing.reader import read_document
from gardien.services.importing.writer import import_document
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
            'learners[0] (email "a@example.org"): given_name: input should be a valid string',
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
