"""The forecast tests' dataset: records whose clocks fall on either side of every month edge.

This module holds no test; it is named like one so that the forecast tests own it. Every
record is fictional and uses reserved domains. The forecast runs as of ``AS_OF`` until
``UNTIL``; ``EXPECTED`` gives, per rule, the overdue count and the count of each month,
worked out by hand from the default policy (the comment by each record says when it expires).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update

from gardien.domain.clock import FixedClock
from gardien.policy import DEFAULT_POLICY_PATH, Policy, load_policy
from gardien.services.importing.document import ImportDocument
from gardien.services.importing.writer import import_document
from gardien.store.catalogue import record_catalogue
from gardien.store.tables import commercial_contact, learner, outbox_message, sponsor
from gardien.store.uow import UnitOfWork

AS_OF = date(2026, 1, 15)
UNTIL = date(2026, 6, 30)
MONTHS = ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]
# When the data was imported: the creation day of the sponsors, the clock of one without contract.
IMPORTED = datetime(2024, 10, 10, 12, tzinfo=UTC)
HOME = "https://gardien.example.org"

# rule -> (overdue, [records per month of MONTHS])
EXPECTED: dict[str, tuple[int, list[int]]] = {
    "learner_data": (1, [1, 1, 3, 0, 0, 1]),
    "commercial_contact": (1, [0, 1, 1, 0, 0, 0]),
    "sponsor_contacts": (1, [0, 0, 2, 1, 0, 0]),
    "sponsors": (1, [0, 0, 1, 1, 0, 0]),
    "invoices": (2, [0, 0, 0, 0, 0, 0]),
    "opco_dossiers": (1, [0, 0, 1, 0, 0, 1]),
    "newsletter": (1, [1, 0, 0, 0, 0, 0]),
    "newsletter_unconfirmed": (0, [0, 0, 0, 0, 0, 0]),
    "contact_messages": (1, [0, 0, 1, 0, 1, 0]),
    "outbox": (1, [0, 1, 1, 1, 0, 0]),
    "unlinked_documents": (0, [0, 0, 0, 0, 0, 0]),
    "unlinked_statements": (0, [0, 0, 0, 0, 0, 0]),
    "accounts": (0, [0, 0, 0, 0, 0, 0]),
    "sessions": (0, [0, 0, 0, 0, 0, 0]),
    "throttle_counters": (0, [0, 0, 0, 0, 0, 0]),
    "subject_requests": (0, [0, 0, 0, 0, 0, 0]),
    "disclosure_log": (0, [0, 0, 0, 0, 0, 0]),
    "audit_log": (0, [0, 0, 0, 0, 0, 0]),
}


def default_policy() -> Policy:
    """The shipped policy, checked against the data model."""
    return load_policy(DEFAULT_POLICY_PATH, catalogue=record_catalogue())


def _learner(name: str, last_activity_at: str) -> dict[str, Any]:
    return {
        "email": f"{name}@example.org",
        "given_name": name.capitalize(),
        "family_name": "Fictif",
        "created_at": "2024-01-02T09:00:00Z",
        "last_activity_at": last_activity_at,
    }


def _contract(reference: str, ends_on: str, **fields: Any) -> dict[str, Any]:
    return {
        "reference": reference,
        "funding_type": "online_payment",
        "signed_on": "2018-01-01",
        "starts_on": "2018-01-01",
        "ends_on": ends_on,
        **fields,
    }


def _invoice(number: str, issued_on: str) -> dict[str, Any]:
    return {
        "number": number,
        "issued_on": issued_on,
        "amount_excl_tax_cents": 10000,
        "tax_cents": 2000,
        "billing_name": "Camille Fictive",
        "billing_address": "2 rue de l'Exemple, 75000 Paris",
    }


def _opco(reference: str, training_end: str) -> dict[str, Any]:
    return {
        "agreement_reference": reference,
        "contract": f"C-{reference}",
        "learner": "frankie@example.org",
        "opco_name": "OPCO Exemple",
        "employer_name": "Exemple SARL (fictional)",
        "training_title": "Tableur",
        "training_start": "2019-01-07",
        "training_end": training_end,
        "duration_hours": 14,
    }


def _subscription(email: str, unsubscribed_at: str | None) -> dict[str, Any]:
    return {
        "email": email,
        "status": "unsubscribed" if unsubscribed_at else "confirmed",
        "created_at": "2024-01-01T12:00:00Z",
        "consent_at": "2024-01-01T12:00:00Z",
        "consent_source": "website footer form",
        "consent_notice_version": "2024-01",
        "consent_wording": "Je souhaite recevoir la lettre d'information.",
        "confirmed_at": "2024-01-01T12:05:00Z",
        "unsubscribed_at": unsubscribed_at,
    }


def _message(email: str, last_exchange_at: str) -> dict[str, Any]:
    return {
        "name": "Sacha Curieux",
        "email": email,
        "message": "Bonjour, quelles sont vos formations ?",
        "received_at": "2024-06-01T09:00:00Z",
        "last_exchange_at": last_exchange_at,
    }


def document() -> dict[str, Any]:
    """The import document; records the import cannot create are added by :func:`load`."""
    opco_ends = {"OPCO-1": "2019-12-31", "OPCO-2": "2020-02-29", "OPCO-3": "2020-06-29"}
    opco_ends["OPCO-4"] = "2020-06-30"
    return {
        "format": 1,
        "learners": [
            _learner("bea", "2024-07-14T09:00:00Z"),  # kept through 2026-01-14: overdue
            _learner("chloe", "2024-07-15T09:00:00Z"),  # expires 2026-01-16, first window day
            _learner("gael", "2024-08-27T10:00:00Z"),  # 2026-02-28
            _learner("dana", "2024-08-28T10:00:00Z"),  # 28 Aug + 18 months = 28 Feb: 2026-03-01
            _learner("alix", "2024-08-31T10:00:00Z"),  # 31 Aug + 18 months = 28 Feb: 2026-03-01
            _learner("hugo", "2024-10-01T00:30:00+02:00"),  # UTC day 30 Sep: 2026-03-31
            _learner("eli", "2024-12-29T23:59:00Z"),  # 2026-06-30, the last day
            _learner("enzo", "2024-12-30T00:01:00Z"),  # 2026-07-01, after the window
            _learner("frankie", "2025-12-01T10:00:00Z"),  # 2027-06-02
        ],
        "sponsors": [
            {
                "ref": "SP-OLD",  # last contract 2024-06-30: expired 2026-01-01, overdue
                "kind": "organisation",
                "name": "Ancienne SARL (fictional)",
                "email": "rh@old.example.com",
                "contacts": [{"name": "Dominique Ancien", "email": "d@old.example.com"}],
            },
            {
                "ref": "SP-IND",  # last contract 2024-09-15: 2026-03-16
                "kind": "individual",
                "name": "Camille Fictive",
                "email": "camille@example.net",
                "contacts": [
                    {"name": "Camille Fictive", "email": "camille@example.net"},
                    {"name": "Lou Fictif", "email": "lou@example.net"},
                ],
            },
            {
                "ref": "SP-NEW",  # no contract: counts from its creation (IMPORTED), 2026-04-11
                "kind": "organisation",
                "name": "Nouvelle SAS (fictional)",
                "contacts": [{"name": "Yan Nouveau", "email": "y@new.example.com"}],
            },
            {
                "ref": "SP-LIVE",  # last contract 2025-12-31: 2027-07-01
                "kind": "organisation",
                "name": "Active SA (fictional)",
                "contacts": [{"name": "Ali Actif", "email": "a@live.example.com"}],
            },
            {
                "ref": "SP-ANON",  # anonymised already (see load): never counted again
                "kind": "individual",
                "name": "anonymised",
            },
        ],
        "contracts": [
            _contract("C-OLD", "2024-06-30", sponsor="SP-OLD"),
            _contract("C-IND-1", "2023-01-31", sponsor="SP-IND"),
            _contract("C-IND-2", "2024-09-15", sponsor="SP-IND"),
            _contract("C-LIVE", "2025-12-31", sponsor="SP-LIVE"),
            _contract("C-ANON", "2020-01-31", sponsor="SP-ANON"),
            *(
                _contract(
                    f"C-{ref}",
                    end,
                    funding_type="opco",
                    starts_on="2019-01-07",
                    signed_on="2019-01-02",
                )
                for ref, end in opco_ends.items()
            ),
        ],
        "invoices": [
            # An invoice counts from the close of its financial year (31 December): a year's
            # invoices all go on the 1 January after its close + 120 months, none in the window.
            _invoice("F-2015-0001", "2015-01-01"),  # year closing 2015-12-31: overdue
            _invoice("F-2015-0002", "2015-12-31"),  # kept through 2025-12-31: overdue
            _invoice("F-2016-0001", "2016-01-14"),  # year closing 2016-12-31: 2027-01-01
            _invoice("F-2016-0003", "2016-02-29"),  # 2027-01-01, not 2026-03-01
            _invoice("F-2016-0004", "2016-04-30"),  # 2027-01-01, not 2026-05-01
            _invoice("F-2020-0001", "2020-01-01"),  # 2031-01-01
        ],
        # 2019-12-31: overdue; 2020-02-29: 2026-03-01; 2020-06-29: 2026-06-30; 2020-06-30: July.
        "opco_dossiers": [_opco(ref, end) for ref, end in opco_ends.items()],
        "newsletter_subscriptions": [
            _subscription("lecteur1@example.net", "2026-01-14T10:00:00Z"),  # overdue
            _subscription("lecteur2@example.net", "2026-01-15T08:00:00Z"),  # 2026-01-16
            _subscription("lecteur3@example.net", None),  # subscribed: never
        ],
        "contact_messages": [
            _message("sacha1@example.net", "2024-07-01T10:00:00Z"),  # overdue
            _message("sacha2@example.net", "2024-09-30T23:59:59Z"),  # 2026-03-31
            _message("sacha3@example.net", "2024-11-15T10:00:00Z"),  # 2026-05-16
            # Its own clock ends 2026-05-16, but it goes with alix, the learner, in March.
            _message("alix@example.org", "2024-11-15T10:00:00Z"),
        ],
    }


# Former learners' commercial contacts: e-mail and last contract end (18 months).
COMMERCIAL_CONTACTS = {
    "ancien1@example.org": date(2024, 7, 14),  # overdue
    "ancien2@example.org": date(2024, 7, 31),  # 2026-02-01
    "ancien3@example.org": date(2024, 8, 31),  # 2026-03-01
}
# Queued e-mails and when they were created (3 months).
OUTBOX = {
    "o1": datetime(2025, 10, 14, 10, tzinfo=UTC),  # overdue
    "o2": datetime(2025, 11, 27, 10, tzinfo=UTC),  # 2026-02-28
    "o3": datetime(2025, 11, 30, 10, tzinfo=UTC),  # 30 Nov + 3 months = 28 Feb: 2026-03-01
    "o4": datetime(2026, 1, 10, 10, tzinfo=UTC),  # 2026-04-11
}


def load(engine: Engine) -> None:
    """Import :func:`document` as of ``IMPORTED``, then add what only the platform creates."""
    import_document(
        ImportDocument.model_validate(document()),
        uow=UnitOfWork(engine),
        clock=FixedClock(IMPORTED),
        home_page=HOME,
    )
    with UnitOfWork(engine, write=True) as uow:
        connection = uow.connection
        connection.execute(
            insert(commercial_contact),
            [
                {
                    "email": email,
                    "contract_reference": f"C-{email[:7].upper()}",
                    "last_contract_end": end,
                    "created_at": IMPORTED,
                }
                for email, end in COMMERCIAL_CONTACTS.items()
            ],
        )
        connection.execute(
            insert(outbox_message),
            [
                {
                    "dedupe_key": f"forecast-test:{key}",
                    "kind": "test",
                    "learner_id": None,
                    "recipient": f"{key}@example.org",
                    "subject": "Test",
                    "body": "Test",
                    "created_at": created,
                    "send_after": created,
                    "attempts": 0,
                }
                for key, created in OUTBOX.items()
            ],
        )
        # Queued for alix on 20 January (its own clock ends 21 April): it goes with her in March.
        alix = connection.execute(
            select(learner.c.id).where(learner.c.email == "alix@example.org")
        ).scalar_one()
        created = datetime(2026, 1, 20, 10, tzinfo=UTC)
        connection.execute(
            insert(outbox_message).values(
                dedupe_key="forecast-test:alix",
                kind="test",
                learner_id=alix,
                recipient="alix@example.org",
                subject="Test",
                body="Test",
                created_at=created,
                send_after=created,
                attempts=0,
            )
        )
        connection.execute(
            update(sponsor).where(sponsor.c.ref == "SP-ANON").values(anonymised_at=IMPORTED)
        )
        uow.commit()
