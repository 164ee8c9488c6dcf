"""Document checks that need no database: one record per natural key, dates in order."""

from __future__ import annotations

from typing import Any

import pytest

from gardien.errors import ImportDocumentError
from gardien.services.importing.checks import check_document
from gardien.services.importing.document import ImportDocument

LEARNER = {
    "email": "alix.exemple@example.org",
    "given_name": "Alix",
    "family_name": "Exemplaire",
    "created_at": "2024-01-10T09:00:00Z",
    "last_activity_at": "2024-03-01T10:00:00Z",
}
CONTRACT = {
    "reference": "C-1",
    "funding_type": "cpf",
    "signed_on": "2024-01-05",
    "starts_on": "2024-01-10",
    "ends_on": "2024-06-30",
}
MESSAGE = {
    "name": "Claude Curieux",
    "email": "claude@example.net",
    "message": "Bonjour",
    "received_at": "2024-03-01T10:00:00+01:00",
    "last_exchange_at": "2024-03-01T10:00:00Z",
}


def _problem(document: dict[str, Any]) -> str:
    with pytest.raises(ImportDocumentError) as caught:
        check_document(ImportDocument.model_validate(document))
    return str(caught.value)


def test_a_consistent_document_passes() -> None:
    check_document(ImportDocument.model_validate({"learners": [LEARNER], "contracts": [CONTRACT]}))


def test_the_same_learner_twice_even_in_capitals() -> None:
    twice = {**LEARNER, "email": "ALIX.Exemple@example.org"}
    assert _problem({"learners": [LEARNER, twice]}) == (
        'learners[1] (email "alix.exemple@example.org"): email: the same record as learners[0]'
    )


def test_the_same_contact_message_at_the_same_instant_in_another_offset() -> None:
    again = {**MESSAGE, "received_at": "2024-03-01T09:00:00Z"}
    assert "contact_messages[1]" in _problem({"contact_messages": [MESSAGE, again]})


def test_a_module_listed_twice_in_a_path() -> None:
    path = {
        "code": "PY-101",
        "title": "Python",
        "modules": [{"code": "M1", "title": "a"}, {"code": "M1", "title": "b"}],
    }
    assert _problem({"learning_paths": [path]}) == (
        'learning_paths[0] (code "PY-101"): modules[1].code: "M1" repeats modules[0]'
    )


def test_contract_dates_in_order() -> None:
    reversed_dates = {**CONTRACT, "ends_on": "2024-01-01"}
    assert _problem({"contracts": [reversed_dates]}) == (
        'contracts[0] (reference "C-1"): ends_on: 2024-01-01 is before starts_on 2024-01-10'
    )
