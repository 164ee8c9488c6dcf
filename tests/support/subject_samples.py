"""The people the subject-export tests look up (fictional, on reserved domains).

This module holds no test; it is named like one so that the export tests own it. Dates are
chosen so that, as of 1 June 2026, each retention rule is on a known side of its end.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from gardien.domain.clock import FixedClock
from gardien.services.importing.document import ImportDocument
from gardien.services.importing.writer import import_document
from gardien.services.requests import record_request
from gardien.store.tables import commercial_contact, learner, outbox_message, subject_request
from gardien.store.uow import UnitOfWork
from tests.support.accounts import give_account

AS_OF = date(2026, 6, 1)
CAMILLE = "camille.exemple@example.org"  # learner, her own sponsor, subscriber, sender
DOMINIQUE = "dominique.contact@example.com"  # a sponsor's contact, billed for its training
SACHA = "sacha.eleve@example.org"  # learner whose training a relative paid for
CLAUDE = "claude.parent@example.org"  # that relative: an individual sponsor only
NOE = "noe.ancien@example.org"  # unsubscribed from the newsletter
ATELIER = "contact.atelier-fictif@example.com"  # an organisation sponsor with no contract yet
MAEL = "mael.assidu@example.org"  # learner still active long after his last contract ended
LOU = "lou.ancienne@example.org"  # former learner: only her commercial contact is left
CAMILLE_BEFORE = "c.exemple.ancienne@example.org"  # the address Camille used to have
# An Argon2id-looking string: the test checks it never appears in an export.
PASSWORD_HASH = "$argon2id$v=19$m=65536,t=3,p=4$ZmljdGlvbmFs$c2VjcmV0LWhhc2gtbmV2ZXItc2hvd24"


def sample_document() -> dict[str, Any]:
    """Camille: last active 31 Aug 2024 (kept through 28 Feb 2026), last contract 31 Dec 2024."""
    return {
        "learning_paths": [
            {
                "code": "FLE-A2",
                "title": "Français A2",
                "modules": [{"code": "M1", "title": "Se présenter"}],
            },
            {
                "code": "MGT-EQP",
                "title": "Manager une équipe",
                "modules": [{"code": "M1", "title": "Posture"}],
            },
        ],
        "learners": [
            _learner("Camille.Exemple@Example.org", "Camille", "Exemple", "2024-08-31T18:00:00Z"),
            _learner(SACHA, "Sacha", "Élève", "2026-05-10T09:00:00Z"),
            _learner(MAEL, "Maël", "Assidu", "2026-03-15T10:00:00Z"),
        ],
        "sponsors": [
            {
                "ref": "PART-1",
                "kind": "individual",
                "name": "Camille Exemple",
                "email": CAMILLE,
                "address": "3 rue de l'Exemple\n75011 Paris",
            },
            {
                "ref": "PART-2",
                "kind": "individual",
                "name": "Claude Parent",
                "email": CLAUDE,
                "address": "8 allée des Cerisiers\n44000 Nantes",
            },
            {
                "ref": "ORG-1",
                "kind": "organisation",
                "name": "Menuiserie Fictive SAS",
                "email": "contact.menuiserie-fictive@example.com",
                "siret": "00012345678901",
                "contacts": [
                    {
                        "name": "Dominique Contact",
                        "email": DOMINIQUE,
                        "role": "Responsable formation",
                    }
                ],
            },
            {"ref": "ORG-2", "kind": "organisation", "name": "Atelier Fictif", "email": ATELIER},
        ],
        "contracts": [
            _contract(
                "CT-1", "online_payment", "PART-1", "FLE-A2", "2023-09-01", "2024-12-31", CAMILLE
            ),
            _contract("CT-2", "opco", "ORG-1", "MGT-EQP", "2024-01-08", "2024-06-28", CAMILLE),
            _contract("CT-3", "cpf", None, None, "2024-02-01", "2024-05-31", CAMILLE),
            _contract(
                "CT-4", "online_payment", "PART-2", "FLE-A2", "2026-01-05", "2026-09-30", SACHA
            ),
            _contract("CT-5", "cpf", None, None, "2025-01-06", "2025-06-30", MAEL),
        ],
        "enrolments": [
            {
                "learner": CAMILLE,
                "path": "FLE-A2",
                "contract": "CT-1",
                "enrolled_at": "2023-09-02T10:00:00Z",
                "status": "in_progress",
                "progress": 50,
                "modules": [
                    {
                        "module": "M1",
                        "status": "passed",
                        "score_scaled": 0.8,
                        "updated_at": "2024-08-31T18:00:00Z",
                    }
                ],
            },
            {
                "learner": SACHA,
                "path": "FLE-A2",
                "contract": "CT-4",
                "enrolled_at": "2026-01-06T10:00:00Z",
                "status": "enrolled",
                "progress": 0,
            },
        ],
        "statements": [
            {
                "id": "3f2b8c1e-5a4d-4e6f-8a9b-0c1d2e3f4a5b",
                "learner": CAMILLE,
                "verb": "http://adlnet.gov/expapi/verbs/passed",
                "object": "https://learning.example.org/paths/fle-a2/modules/m1",
                "result": {"success": True, "completion": True, "score_scaled": 0.8},
                "timestamp": "2024-08-31T18:00:00Z",
            },
        ],
        "invoices": [
            _invoice("FA-2023-1", "CT-1", "2023-09-01", "Camille Exemple", CAMILLE.upper()),
            _invoice("FA-2015-9", None, "2015-03-31", "Camille Exemple", CAMILLE),
            _invoice("FA-2024-2", "CT-2", "2024-06-28", "Menuiserie Fictive SAS", DOMINIQUE),
        ],
        "cpf_dossiers": [
            {
                "edof_number": "12345678901",
                "contract": "CT-3",
                "learner": CAMILLE,
                "status": "service_validated",
                "entry_date": "2024-02-01",
                "exit_date": "2024-05-31",
                "completion_rate": 100,
                "exit_reason": "Formation terminée",
            },
        ],
        "opco_dossiers": [
            {
                "agreement_reference": "AC-2024-1",
                "contract": "CT-2",
                "learner": CAMILLE,
                "opco_name": "OPCO Équinoxe",
                "employer_name": "Menuiserie Fictive SAS",
                "training_title": "Manager une équipe",
                "training_start": "2024-01-08",
                "training_end": "2024-06-28",
                "duration_hours": 35,
                "certificate_ref": "CR-CT-2-01",
                "attendance_summary": {"connections": 14},
            },
        ],
        "newsletter_subscriptions": [
            _subscription(CAMILLE, "confirmed", None),
            _subscription(NOE, "unsubscribed", "2026-05-20T08:00:00Z"),
        ],
        "contact_messages": [
            {
                "name": "Camille Exemple",
                "email": CAMILLE,
                "message": "Bonjour, une question sur le CPF.",
                "received_at": "2025-01-10T09:00:00Z",
                "last_exchange_at": "2025-01-15T16:00:00Z",
            },
        ],
    }


def load_samples(engine: Engine) -> None:
    """Import the sample document, then add what no import brings: Camille's password, the
    commercial contact the retention engine kept of Lou, and e-mails the platform queued."""
    document = ImportDocument.model_validate(sample_document())
    import_document(
        document,
        uow=UnitOfWork(engine),
        clock=FixedClock.on(AS_OF),
        home_page="https://learning.example.org",
    )
    with engine.begin() as connection:
        give_account(connection, CAMILLE, PASSWORD_HASH)
        # Lou's account expired on 31 July 2025, while her last contract's commercial period
        # (31 March 2025 + 18 months) still ran.
        connection.execute(
            insert(commercial_contact).values(
                email=LOU,
                contract_reference="CT-0",
                last_contract_end=date(2025, 3, 31),
                created_at=_instant("2025-08-01T02:00:00Z"),
            )
        )
        connection.execute(insert(outbox_message), _outbox(connection))


def _outbox(connection: Connection) -> list[dict[str, Any]]:
    """Camille's messages: one found by both keys, one by her account only (sent to her former
    address), one by her address only; and one of Sacha's, which is not Camille's business."""
    ids = {email: id_ for email, id_ in connection.execute(select(learner.c.email, learner.c.id))}
    return [
        _message("warning-1", "inactivity_warning", ids[CAMILLE], CAMILLE, "2026-01-29T06:00:00Z"),
        _message(
            "address-1", "address_changed", ids[CAMILLE], CAMILLE_BEFORE, "2026-05-20T08:00:00Z"
        ),
        _message("newsletter-1", "newsletter_confirmation", None, CAMILLE, "2026-05-25T12:00:00Z"),
        _message("warning-2", "inactivity_warning", ids[SACHA], SACHA, "2026-05-30T06:00:00Z"),
    ]


def _message(
    key: str, kind: str, learner_id: int | None, recipient: str, created: str
) -> dict[str, Any]:
    return {
        "dedupe_key": key,
        "kind": kind,
        "learner_id": learner_id,
        "recipient": recipient,
        "subject": f"Message {key}",
        "body": f"Bonjour, ceci est le message {key}.",
        "created_at": _instant(created),
        "send_after": _instant(created),
        "sent_at": _instant(created),
        "attempts": 1,
        "last_error": None,
    }


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def _learner(email: str, given: str, family: str, last: str) -> dict[str, Any]:
    return {
        "email": email,
        "given_name": given,
        "family_name": family,
        "created_at": "2023-08-30T08:00:00Z",
        "last_activity_at": last,
    }


def _contract(
    ref: str, funding: str, sponsor: str | None, path: str | None, start: str, end: str, who: str
) -> dict[str, Any]:
    return {
        "reference": ref,
        "funding_type": funding,
        "sponsor": sponsor,
        "path": path,
        "signed_on": start,
        "starts_on": start,
        "ends_on": end,
        "learners": [who],
    }


def _invoice(
    number: str, contract: str | None, issued: str, name: str, email: str
) -> dict[str, Any]:
    return {
        "number": number,
        "contract": contract,
        "issued_on": issued,
        "amount_excl_tax_cents": 50_000,
        "tax_cents": 10_000,
        "billing_name": name,
        "billing_address": "3 rue de l'Exemple\n75011 Paris",
        "billing_email": email,
    }


def _subscription(email: str, status: str, unsubscribed: str | None) -> dict[str, Any]:
    return {
        "email": email,
        "status": status,
        "created_at": "2023-05-02T10:00:00Z",
        "consent_at": "2023-05-02T10:00:00Z",
        "consent_source": "site_footer_form",
        "consent_notice_version": "2022-01-10",
        "consent_wording": "J'accepte de recevoir la lettre d'information.",
        "confirmed_at": "2023-05-02T10:05:00Z",
        "unsubscribed_at": unsubscribed,
    }


def closed_request(
    engine: Engine,
    email: str,
    kind: str,
    status: str,
    closed: datetime,
    *,
    received_days_before: int = 7,
) -> str:
    """A request filed by e-mail link ``received_days_before`` days before ``closed``, and
    closed then with ``status`` (the history's rows); its reference."""
    with engine.begin() as connection:
        view = record_request(
            connection,
            now=closed - timedelta(days=received_days_before),
            email=email,
            kind=kind,
            identity_check="email_link",
            actor="web",
        )
        connection.execute(
            update(subject_request)
            .where(subject_request.c.id == view.id)
            .values(status=status, closed_at=closed, outcome={"note": "fait"})
        )
    return view.reference
