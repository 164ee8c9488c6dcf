"""import_document on SQLite and PostgreSQL: every record kind, idempotence, updates."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from gardien.domain.clock import FixedClock
from gardien.services.importing.reader import read_document
from gardien.services.importing.report import Counts, ImportReport
from gardien.services.importing.writer import import_document
from gardien.store.tables import (
    account,
    activity_statement,
    invoice,
    learner,
    learning_module,
    opco_dossier,
    sponsor,
)
from gardien.store.uow import UnitOfWork
from tests.support.accounts import give_account
from tests.support.import_samples import (
    LEARNER_EMAIL,
    LEARNER_FAMILY,
    LEARNER_GIVEN,
    dump_tables,
    full_document,
    variant,
    write,
)

HOME = "https://gardien.example.org"
NOW = datetime(2024, 4, 1, 12, tzinfo=UTC)


def _import(engine: Engine, path: Path, document: dict[str, Any], **kwargs: Any) -> ImportReport:
    return import_document(
        read_document(write(path, document)),
        uow=UnitOfWork(engine),
        clock=FixedClock(kwargs.pop("now", NOW)),
        home_page=HOME,
        **kwargs,
    )


def test_a_full_document_imports_every_kind(engine: Engine, tmp_path: Path) -> None:
    report = _import(engine, tmp_path / "data.json", full_document())
    expected = {
        "learning_paths": 2,
        "learning_modules": 2,
        "learners": 2,
        "sponsors": 2,
        "sponsor_contacts": 1,
        "contracts": 3,
        "contract_learners": 2,
        "enrolments": 2,
        "module_progress": 2,
        "statements": 2,
        "invoices": 1,
        "cpf_dossiers": 1,
        "opco_dossiers": 1,
        "newsletter_subscriptions": 1,
        "contact_messages": 1,
    }
    assert {kind: counts.inserted for kind, counts in report.counts.items()} == expected
    assert "learners: 2 inserted, 0 updated, 0 unchanged" in report.summary().splitlines()
    dump = dump_tables(engine)
    assert {name: len(rows) for name, rows in dump.items() if rows} == {
        "learning_path": 2,
        "learning_module": 2,
        "learner": 2,
        "sponsor": 2,
        "sponsor_contact": 1,
        "contract": 3,
        "contract_learner": 2,
        "enrolment": 2,
        "module_progress": 2,
        "activity_statement": 2,
        "invoice": 1,
        "cpf_dossier": 1,
        "opco_dossier": 1,
        "newsletter_subscription": 1,
        "contact_message": 1,
        "erasure_lineage": 1,  # written by the migrations, not the import (docs/backups.md)
    }
    with engine.connect() as connection:
        alix = connection.execute(select(learner).where(learner.c.email == LEARNER_EMAIL)).one()
        uuid.UUID(alix.pseudonym)
        assert alix.created_at == datetime(2024, 1, 10, 8, tzinfo=UTC)
        assert connection.execute(select(invoice.c.total_cents)).scalar_one() == 150000
        assert connection.execute(select(opco_dossier.c.trainee_name)).scalar_one() == (
            f"{LEARNER_GIVEN} {LEARNER_FAMILY}"
        )
        assert connection.execute(select(sponsor.c.created_at)).scalars().all() == [NOW, NOW]
        positions = connection.execute(
            select(learning_module.c.code, learning_module.c.position)
        ).all()
        assert sorted(positions) == [("M1", 1), ("M2", 2)]


def test_stored_statements_hold_no_email_nor_name(engine: Engine, tmp_path: Path) -> None:
    _import(engine, tmp_path / "data.json", full_document())
    with engine.connect() as connection:
        pseudonym = connection.execute(
            select(learner.c.pseudonym).where(learner.c.email == LEARNER_EMAIL)
        ).scalar_one()
        rows = connection.execute(select(activity_statement)).all()
    assert len(rows) == 2
    for row in rows:
        assert row.stored_at == NOW
        assert row.raw["actor"] == {
            "objectType": "Agent",
            "account": {"homePage": HOME, "name": pseudonym},
        }
        text = json.dumps([str(value) for value in row] + [json.dumps(row.raw)]).lower()
        for identity in (LEARNER_EMAIL, LEARNER_GIVEN.lower(), LEARNER_FAMILY.lower(), "mailto"):
            assert identity not in text
    full = next(row for row in rows if row.raw.get("context"))
    assert full.raw["context"] == {"platform": "Example LMS"}
    assert "authority" not in full.raw
    assert full.timestamp == datetime(2024, 2, 15, 9, tzinfo=UTC)


def test_importing_twice_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    _import(engine, tmp_path / "data.json", full_document())
    before = dump_tables(engine)
    later = datetime(2025, 1, 1, tzinfo=UTC)
    report = _import(engine, tmp_path / "again.json", full_document(), now=later)
    assert dump_tables(engine) == before
    assert not report.changed
    assert all(c.inserted == 0 and c.updated == 0 for c in report.counts.values())
    assert report.of("statements") == Counts(unchanged=2)
    assert report.of("contract_learners") == Counts(unchanged=2)


def test_a_changed_field_is_updated_and_nothing_else(engine: Engine, tmp_path: Path) -> None:
    _import(engine, tmp_path / "data.json", full_document())
    before = dump_tables(engine)
    document = full_document()
    document["contracts"][0]["amount_cents"] = 175000
    document["learners"][1]["family_name"] = "Fictif-Exemple"
    report = _import(engine, tmp_path / "changed.json", document)
    assert report.of("contracts") == Counts(updated=1, unchanged=2)
    assert report.of("learners") == Counts(updated=1, unchanged=1)
    after = dump_tables(engine)
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {"contract", "learner"}


def test_pseudonym_is_kept_and_activity_never_moves_back(engine: Engine, tmp_path: Path) -> None:
    _import(engine, tmp_path / "data.json", full_document())
    with engine.connect() as connection:
        first = connection.execute(select(learner).where(learner.c.email == LEARNER_EMAIL)).one()
    document = full_document()
    document["learners"][0]["last_activity_at"] = "2024-02-20T10:00:00Z"
    document["learners"][0]["given_name"] = "Alexis"
    report = _import(engine, tmp_path / "older.json", document)
    assert report.of("learners") == Counts(updated=1, unchanged=1)
    with engine.connect() as connection:
        again = connection.execute(select(learner).where(learner.c.email == LEARNER_EMAIL)).one()
    assert again.pseudonym == first.pseudonym
    assert again.given_name == "Alexis"
    assert again.last_activity_at == first.last_activity_at == datetime(2024, 3, 1, 10, tzinfo=UTC)


def test_statements_are_immutable(engine: Engine, tmp_path: Path) -> None:
    _import(engine, tmp_path / "data.json", full_document())
    before = dump_tables(engine)["activity_statement"]
    document = full_document()
    document["statements"][0]["verb"] = "http://adlnet.gov/expapi/verbs/failed"
    report = _import(engine, tmp_path / "changed.json", document)
    assert report.of("statements") == Counts(unchanged=2)
    assert dump_tables(engine)["activity_statement"] == before


def test_statements_advance_the_activity_of_a_stored_learner(
    engine: Engine, tmp_path: Path
) -> None:
    _import(engine, tmp_path / "data.json", full_document())
    newer = {
        "id": "0d9e3b1c-6a1f-4b8e-8f6e-2b9c4d7a1e55",
        "learner": "noe.fictif@example.com",
        "verb": "http://adlnet.gov/expapi/verbs/launched",
        "object": "https://lms.example.org/paths/SQL-1",
        "timestamp": "2024-03-20T08:00:00Z",
    }
    report = _import(engine, tmp_path / "activity.json", {"statements": [newer]})
    assert report.of("statements") == Counts(inserted=1)
    assert report.of("learners") == Counts(updated=1)
    with engine.connect() as connection:
        last = connection.execute(
            select(learner.c.last_activity_at).where(learner.c.email == newer["learner"])
        ).scalar_one()
    assert last == datetime(2024, 3, 20, 8, tzinfo=UTC)


def test_references_may_point_to_stored_records(engine: Engine, tmp_path: Path) -> None:
    _import(engine, tmp_path / "data.json", full_document())
    invoice_only = {
        "invoices": [
            {
                "number": "F-2024-0002",
                "contract": "C-2024-002",
                "issued_on": "2024-02-29",
                "amount_excl_tax_cents": 1000,
                "tax_cents": 200,
                "billing_name": "Noé Fictif",
                "billing_address": "2 rue de l'Exemple, 69000 Lyon",
            }
        ]
    }
    assert _import(engine, tmp_path / "more.json", invoice_only).of("invoices") == Counts(
        inserted=1
    )


def test_progress_is_reported(engine: Engine, tmp_path: Path) -> None:
    seen: list[tuple[str, int, int]] = []
    _import(engine, tmp_path / "data.json", full_document(), progress=lambda *a: seen.append(a))
    assert seen == [("statements", 2, 2)]


def test_an_erased_looking_update_does_not_touch_other_rows(engine: Engine, tmp_path: Path) -> None:
    _import(engine, tmp_path / "data.json", full_document())
    with engine.begin() as connection:
        for email in connection.execute(select(learner.c.email)).scalars().all():
            give_account(connection, email, "$argon2id$fictional")
    _import(engine, tmp_path / "again.json", variant())
    with engine.connect() as connection:
        hashes = connection.execute(select(account.c.password_hash)).scalars().all()
    assert hashes == ["$argon2id$fictional"] * 2, "an import never touches credentials"


@pytest.mark.parametrize("section", ["learners", "statements"])
def test_an_empty_section_is_fine(engine: Engine, tmp_path: Path, section: str) -> None:
    report = _import(engine, tmp_path / "empty.json", {section: []})
    assert report.summary() == "nothing to import: the document holds no records"
