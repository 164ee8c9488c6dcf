"""Sample import documents shared by the import tests (fictional people, reserved domains).

This module holds no test; it is named like one so that the import tests own it.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from gardien.store.tables import metadata

LEARNER_EMAIL = "alix.exemple@example.org"
LEARNER_GIVEN = "Alix"
LEARNER_FAMILY = "Exemplaire"


def full_document() -> dict[str, Any]:
    """A document holding at least one record of every kind."""
    return {
        "format": 1,
        "learning_paths": [
            {
                "code": "PY-101",
                "title": "Python, first steps",
                "modules": [
                    {"code": "M1", "title": "Values and names"},
                    {"code": "M2", "title": "Functions"},
                ],
            },
            {"code": "SQL-1", "title": "Relational databases"},
        ],
        "learners": [
            {
                "email": "Alix.Exemple@Example.org",
                "given_name": LEARNER_GIVEN,
                "family_name": LEARNER_FAMILY,
                "created_at": "2024-01-10T09:00:00+01:00",
                "last_activity_at": "2024-03-01T10:00:00Z",
            },
            {
                "email": "noe.fictif@example.com",
                "given_name": "Noé",
                "family_name": "Fictif",
                "created_at": "2024-02-01T08:00:00Z",
                "last_activity_at": "2024-02-20T08:00:00Z",
            },
        ],
        "sponsors": [
            {
                "ref": "SP-ACME",
                "kind": "organisation",
                "name": "Acme Formation (fictional)",
                "email": "rh@acme.example.com",
                "address": "1 rue de l'Exemple, 75000 Paris",
                "siret": "00000000000000",
                "contacts": [
                    {"name": "Dominique Contact", "email": "d.contact@acme.example.com"},
                ],
            },
            {"ref": "SP-NOE", "kind": "individual", "name": "Noé Fictif"},
        ],
        "contracts": [
            {
                "reference": "C-2024-001",
                "funding_type": "opco",
                "sponsor": "SP-ACME",
                "path": "PY-101",
                "signed_on": "2024-01-05",
                "starts_on": "2024-01-10",
                "ends_on": "2024-06-30",
                "amount_cents": 150000,
                "learners": [LEARNER_EMAIL],
            },
            {
                "reference": "C-2024-002",
                "funding_type": "cpf",
                "path": "SQL-1",
                "signed_on": "2024-02-01",
                "starts_on": "2024-02-01",
                "ends_on": "2024-04-30",
                "learners": ["noe.fictif@example.com"],
            },
            {
                "reference": "C-2024-003",
                "funding_type": "online_payment",
                "sponsor": "SP-NOE",
                "signed_on": "2024-02-01",
                "starts_on": "2024-02-01",
                "ends_on": "2024-02-28",
            },
        ],
        "enrolments": [
            {
                "learner": LEARNER_EMAIL,
                "path": "PY-101",
                "contract": "C-2024-001",
                "enrolled_at": "2024-01-10T09:30:00Z",
                "status": "in_progress",
                "progress": 50,
                "modules": [
                    {
                        "module": "M1",
                        "status": "passed",
                        "score_scaled": 0.9,
                        "updated_at": "2024-02-01T10:00:00Z",
                    },
                    {"module": "M2", "status": "attempted", "updated_at": "2024-02-15T10:00:00Z"},
                ],
            },
            {
                "learner": "noe.fictif@example.com",
                "path": "SQL-1",
                "enrolled_at": "2024-02-01T08:00:00Z",
                "status": "enrolled",
                "progress": 0,
            },
        ],
        "statements": [
            {
                "id": "6f1c7a52-2d0b-4c3e-9a61-3f0c1b2a4d01",
                "learner": LEARNER_EMAIL,
                "verb": "http://adlnet.gov/expapi/verbs/passed",
                "object": "https://lms.example.org/paths/PY-101/modules/M1",
                "result": {"success": True, "completion": True, "score_scaled": 0.9},
                "timestamp": "2024-02-01T10:00:00Z",
            },
            {
                "id": "6F1C7A52-2D0B-4C3E-9A61-3F0C1B2A4D02",
                "learner": LEARNER_EMAIL,
                "verb": "http://adlnet.gov/expapi/verbs/attempted",
                "object": "https://lms.example.org/paths/PY-101/modules/M2",
                "timestamp": "2024-02-15T10:00:00+01:00",
                "raw": {
                    "actor": {
                        "objectType": "Agent",
                        "name": f"{LEARNER_GIVEN} {LEARNER_FAMILY}",
                        "mbox": f"mailto:{LEARNER_EMAIL}",
                    },
                    "verb": {
                        "id": "http://adlnet.gov/expapi/verbs/attempted",
                        "display": {"en-US": "attempted"},
                    },
                    "object": {
                        "objectType": "Activity",
                        "id": "https://lms.example.org/paths/PY-101/modules/M2",
                    },
                    "authority": {"objectType": "Agent", "mbox": "mailto:lrs@example.org"},
                    "context": {
                        "instructor": {"name": "Tutor Fictif", "mbox": "mailto:tutor@example.org"},
                        "platform": "Example LMS",
                    },
                    "timestamp": "2024-02-15T10:00:00+01:00",
                },
            },
        ],
        "invoices": [
            {
                "number": "F-2024-0001",
                "contract": "C-2024-001",
                "issued_on": "2024-01-31",
                "amount_excl_tax_cents": 125000,
                "tax_cents": 25000,
                "billing_name": "Acme Formation (fictional)",
                "billing_address": "1 rue de l'Exemple, 75000 Paris",
                "billing_email": "compta@acme.example.com",
            }
        ],
        "cpf_dossiers": [
            {
                "edof_number": "EDOF-000001",
                "contract": "C-2024-002",
                "learner": "noe.fictif@example.com",
                "status": "in_training",
                "entry_date": "2024-02-01",
                "completion_rate": 10,
            }
        ],
        "opco_dossiers": [
            {
                "agreement_reference": "OPCO-AG-0001",
                "contract": "C-2024-001",
                "learner": LEARNER_EMAIL,
                "opco_name": "OPCO Exemple",
                "employer_name": "Acme Formation (fictional)",
                "training_title": "Python, first steps",
                "training_start": "2024-01-10",
                "training_end": "2024-06-30",
                "duration_hours": 35,
                "attendance_summary": {"connections": 12, "quizzes_passed": 3},
            }
        ],
        "newsletter_subscriptions": [
            {
                "email": "lecteur@example.net",
                "status": "confirmed",
                "created_at": "2024-01-01T12:00:00Z",
                "consent_at": "2024-01-01T12:00:00Z",
                "consent_source": "website footer form",
                "consent_notice_version": "2024-01",
                "consent_wording": "Je souhaite recevoir la lettre d'information.",
                "confirmed_at": "2024-01-01T12:05:00Z",
            }
        ],
        "contact_messages": [
            {
                "name": "Claude Curieux",
                "email": "claude.curieux@example.net",
                "message": "Bonjour, quelles sont vos formations ?",
                "received_at": "2024-03-01T09:00:00+01:00",
                "last_exchange_at": "2024-03-02T09:00:00Z",
            }
        ],
    }


def variant(**sections: Any) -> dict[str, Any]:
    """The full document with some sections replaced."""
    document = copy.deepcopy(full_document())
    document.update(sections)
    return document


def write(path: Path, document: Any) -> Path:
    """Write ``document`` as JSON at ``path`` and return the path."""
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def dump_tables(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, sorted: two dumps are equal when nothing changed."""
    dump: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            rows = connection.execute(select(table)).all()
            dump[table.name] = sorted((tuple(row) for row in rows), key=repr)
    return dump
