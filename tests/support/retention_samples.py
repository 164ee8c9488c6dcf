"""Builders shared by the retention tests: records, cohorts of learners, sweeps, inspections.

This module holds no test. Everyone here is fictional and every address is on a reserved
domain (example.org, .com, .net).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Connection, Engine, Table, func, insert, select

from gardien.domain.clock import FixedClock
from gardien.domain.retention import first_expired_day, retention_end
from gardien.policy import DEFAULT_POLICY_PATH, Policy, load_policy
from gardien.services.importing.document import ImportDocument
from gardien.services.importing.writer import import_document
from gardien.services.inactivity import queue_inactivity_warnings
from gardien.services.sweep import RuleReport, SweepReport, sweep
from gardien.store.audit import AuditVerification, append_audit, verify_audit
from gardien.store.catalogue import record_catalogue
from gardien.store.tables import (
    activity_statement,
    audit_entry,
    commercial_contact,
    contract_learner,
    cpf_dossier,
    enrolment,
    learner,
    metadata,
    module_progress,
    opco_dossier,
    outbox_message,
)
from gardien.store.uow import UnitOfWork
from tests.support.lookup import LOOKUP

HOME = "https://gardien.example.org"
# The import clock: when sponsors are created, unless a test says otherwise.
IMPORTED = datetime(2024, 1, 2, 12, 0, tzinfo=UTC)
PATH = "FLE-A2"

# The three sweeps around a retention end: the day before it, the day of it (the last day
# the record is kept) and the day after it (the first day it is expired).
BOUNDARY = ("day before", "day of", "day after")
KEPT = {"day before": True, "day of": True, "day after": False}


class Boundary:
    """The days around the end of a record's retention, computed by the domain."""

    def __init__(self, clock_value: date | datetime, months: int) -> None:
        self.last_kept = retention_end(clock_value, months)
        self.first_gone = first_expired_day(clock_value, months)
        assert self.first_gone == self.last_kept + timedelta(days=1)

    def day(self, which: str) -> date:
        """``day before``, ``day of`` or ``day after`` the retention end."""
        return {
            "day before": self.last_kept - timedelta(days=1),
            "day of": self.last_kept,
            "day after": self.first_gone,
        }[which]


def boundary(clock_value: date | datetime | str, months: int) -> Boundary:
    """The boundary of a record whose clock reads ``clock_value`` (ISO text accepted)."""
    if isinstance(clock_value, str):
        clock_value = (
            instant(clock_value) if "T" in clock_value else date.fromisoformat(clock_value)
        )
    return Boundary(clock_value, months)


def instant(text: str) -> datetime:
    """An ISO 8601 instant as an aware UTC datetime."""
    return datetime.fromisoformat(text).astimezone(UTC)


@cache
def default_policy() -> Policy:
    """The shipped policy, checked against the data model."""
    return load_policy(DEFAULT_POLICY_PATH, catalogue=record_catalogue())


# -- records of an import document --------------------------------------------------------------


def learner_doc(
    email: str,
    given: str,
    family: str,
    last_activity: str,
    *,
    created: str = "2023-06-01T08:00:00Z",
) -> dict[str, Any]:
    return {
        "email": email,
        "given_name": given,
        "family_name": family,
        "created_at": created,
        "last_activity_at": last_activity,
    }


def contract_doc(
    reference: str,
    funding_type: str,
    ends_on: str,
    *,
    learners: Iterable[str] = (),
    sponsor: str | None = None,
    starts_on: str = "2023-01-02",
    path: str | None = PATH,
) -> dict[str, Any]:
    return {
        "reference": reference,
        "funding_type": funding_type,
        "sponsor": sponsor,
        "path": path,
        "signed_on": starts_on,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "amount_cents": 90_000,
        "learners": list(learners),
    }


def enrolment_doc(email: str, contract_ref: str | None, *, updated: str) -> dict[str, Any]:
    """An enrolment on :data:`PATH` with progress in both of its modules."""
    return {
        "learner": email,
        "path": PATH,
        "contract": contract_ref,
        "enrolled_at": "2023-06-02T09:00:00Z",
        "status": "in_progress",
        "progress": 50,
        "modules": [
            {"module": "M1", "status": "passed", "score_scaled": 0.8, "updated_at": updated},
            {"module": "M2", "status": "attempted", "updated_at": updated},
        ],
    }


def statements(email: str, count: int, *, last: str) -> list[dict[str, Any]]:
    """``count`` statements of ``email``, one a day, the newest at ``last``."""
    newest = instant(last)
    return [
        {
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{HOME}/{email}/{n}")),
            "learner": email,
            "verb": "http://adlnet.gov/expapi/verbs/attempted",
            "object": f"https://learning.example.org/paths/fle-a2/modules/m{n % 2 + 1}",
            "result": {"completion": True, "score_scaled": 0.5},
            "timestamp": (newest - timedelta(days=n)).isoformat(),
        }
        for n in range(count)
    ]


def invoice_doc(
    number: str,
    issued_on: str,
    *,
    name: str,
    email: str | None,
    contract_ref: str | None = None,
    address: str = "1 avenue de l'Exemple\n75000 Paris",
) -> dict[str, Any]:
    return {
        "number": number,
        "contract": contract_ref,
        "issued_on": issued_on,
        "amount_excl_tax_cents": 75_000,
        "tax_cents": 15_000,
        "billing_name": name,
        "billing_address": address,
        "billing_email": email,
    }


def opco_doc(
    reference: str, contract_ref: str, email: str, trainee: str, *, start: str, end: str
) -> dict[str, Any]:
    return {
        "agreement_reference": reference,
        "contract": contract_ref,
        "learner": email,
        "opco_name": "OPCO Équinoxe",
        "employer_name": "Menuiserie Fictive SAS",
        "training_title": "Français A2",
        "training_start": start,
        "training_end": end,
        "duration_hours": 35,
        "certificate_ref": f"CR-{reference}",
        "attendance_summary": {"connections": 14, "quizzes_passed": 3},
    }


def cpf_doc(edof: str, contract_ref: str, email: str) -> dict[str, Any]:
    return {
        "edof_number": edof,
        "contract": contract_ref,
        "learner": email,
        "status": "service_validated",
        "entry_date": "2023-06-01",
        "exit_date": "2024-06-30",
        "completion_rate": 100,
        "exit_reason": "Formation terminée",
        "certification_result": "Réussite",
    }


def subscription_doc(email: str, unsubscribed: str | None) -> dict[str, Any]:
    return {
        "email": email,
        "status": "confirmed" if unsubscribed is None else "unsubscribed",
        "created_at": "2015-05-02T10:00:00Z",
        "consent_at": "2015-05-02T10:00:00Z",
        "consent_source": "site_footer_form",
        "consent_notice_version": "2015-01-10",
        "consent_wording": "J'accepte de recevoir la lettre d'information.",
        "confirmed_at": "2015-05-02T10:05:00Z",
        "unsubscribed_at": unsubscribed,
    }


def pending_doc(email: str, subscribed: str) -> dict[str, Any]:
    """A subscription never confirmed, made at ``subscribed``."""
    return {
        **subscription_doc(email, None),
        "status": "pending",
        "created_at": subscribed,
        "consent_at": subscribed,
        "confirmed_at": None,
    }


def message_doc(name: str, email: str, *, received: str, last_exchange: str) -> dict[str, Any]:
    return {
        "name": name,
        "email": email,
        "message": "Bonjour, quelles sont vos formations ?",
        "received_at": received,
        "last_exchange_at": last_exchange,
    }


def document(**sections: Any) -> dict[str, Any]:
    """An import document with the learning path :data:`PATH` and the given sections."""
    return {
        "format": 1,
        "learning_paths": [
            {
                "code": PATH,
                "title": "Français A2",
                "modules": [
                    {"code": "M1", "title": "Se présenter"},
                    {"code": "M2", "title": "Raconter"},
                ],
            }
        ],
        **sections,
    }


def merge(*documents: Mapping[str, Any]) -> dict[str, Any]:
    """One document holding every record of ``documents`` (the learning path once)."""
    merged = document()
    for doc in documents:
        for section, records in doc.items():
            if section in ("format", "learning_paths"):
                continue
            merged.setdefault(section, []).extend(records)
    return merged


def load(engine: Engine, doc: Mapping[str, Any], *, imported_at: datetime = IMPORTED) -> None:
    """Import ``doc`` as of ``imported_at`` (the creation instant of new sponsors)."""
    import_document(
        ImportDocument.model_validate(doc),
        uow=UnitOfWork(engine),
        clock=FixedClock(imported_at),
        home_page=HOME,
    )


def outbox(
    connection: Connection, key: str, recipient: str, learner_id: int | None, created: str
) -> None:
    """Queue an e-mail as the platform would (no import brings them)."""
    at = instant(created)
    connection.execute(
        insert(outbox_message).values(
            dedupe_key=key,
            kind="inactivity_warning",
            learner_id=learner_id,
            recipient=recipient,
            subject="Votre compte",
            body="Bonjour, votre compte expire bientôt.",
            created_at=at,
            send_after=at,
            sent_at=None,
            attempts=0,
            last_error=None,
        )
    )


def warn(engine: Engine, day: date) -> None:
    """Queue the inactivity warnings due on ``day``, as that day's sweep does."""
    queue_inactivity_warnings(
        UnitOfWork(engine, write=True),
        policy=default_policy(),
        clock=FixedClock.on(day),
        portal_url=f"{HOME}/",
    )


# -- a cohort: many similar learners, for the sweep's properties --------------------------------


def cohort(
    prefix: str,
    count: int,
    *,
    last_activity: str,
    statements_each: int = 3,
    contract_end: str = "2024-01-31",
    recent_contract_end: str | None = None,
    recent_every: int = 0,
) -> dict[str, Any]:
    """``count`` learners ``{prefix}-NNNNN@example.org``, each with a contract, an enrolment
    with two module results, ``statements_each`` statements and a funding dossier: CPF for
    even numbers, OPCO for one in five, none otherwise. Every ``recent_every``-th learner's
    contract ends on ``recent_contract_end`` instead (it runs a commercial contact)."""
    doc = document(
        learners=[],
        contracts=[],
        enrolments=[],
        statements=[],
        cpf_dossiers=[],
        opco_dossiers=[],
    )
    for n in range(count):
        email = f"{prefix}-{n:05d}@example.org"
        ref = f"CT-{prefix}-{n:05d}"
        recent = recent_every and n % recent_every == 0
        ends = recent_contract_end if recent and recent_contract_end else contract_end
        funding = "cpf" if n % 2 == 0 else "opco" if n % 5 == 1 else "online_payment"
        doc["learners"].append(learner_doc(email, "Prénom", f"Nom{n}", last_activity))
        doc["contracts"].append(contract_doc(ref, funding, ends, learners=[email]))
        doc["enrolments"].append(enrolment_doc(email, ref, updated=last_activity))
        doc["statements"].extend(statements(email, statements_each, last=last_activity))
        if funding == "cpf":
            doc["cpf_dossiers"].append(cpf_doc(f"EDOF-{prefix}-{n:05d}", ref, email))
        elif funding == "opco":
            doc["opco_dossiers"].append(
                opco_doc(
                    f"AC-{prefix}-{n:05d}", ref, email, f"Nom{n}", start="2023-06-01", end=ends
                )
            )
    return doc


# -- running and reading ------------------------------------------------------------------------


def run_sweep(engine: Engine, day: date, **options: Any) -> SweepReport:
    """Sweep with the default policy as of noon UTC on ``day``."""
    return sweep(
        engine, policy=default_policy(), clock=FixedClock.on(day), **options, lookup=LOOKUP
    )


def rule(report: SweepReport, rule_id: str) -> RuleReport:
    """The report of one rule."""
    (found,) = [r for r in report.rules if r.rule == rule_id]
    return found


def audit_batches(engine: Engine, rule_id: str | None = None) -> list[dict[str, Any]]:
    """The details of every ``sweep.batch`` entry (of one rule), in chain order."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(audit_entry.c.details)
            .where(audit_entry.c.action == "sweep.batch")
            .order_by(audit_entry.c.id)
        ).scalars()
        details = [dict(row) for row in rows]
    return [d for d in details if rule_id is None or d["rule"] == rule_id]


def verify(engine: Engine) -> AuditVerification:
    with engine.connect() as connection:
        return verify_audit(connection)


# Tables whose rows hang on a learner, and how to count them per learner.
LEARNER_LINKED: tuple[Table, ...] = (
    activity_statement,
    enrolment,
    contract_learner,
    cpf_dossier,
    opco_dossier,
    outbox_message,
)


def footprints(engine: Engine) -> dict[int, dict[str, int]]:
    """For every learner: how many rows of each dependent table hang on it."""
    counts: dict[int, Counter[str]] = {}
    with engine.connect() as connection:
        for (learner_id,) in connection.execute(select(learner.c.id)):
            counts[learner_id] = Counter()
        for table in LEARNER_LINKED:
            query = (
                select(table.c.learner_id, func.count())
                .where(table.c.learner_id.is_not(None))
                .group_by(table.c.learner_id)
            )
            for learner_id, n in connection.execute(query):
                counts.setdefault(learner_id, Counter())[table.name] = n
        progress = (
            select(enrolment.c.learner_id, func.count())
            .join(module_progress, module_progress.c.enrolment_id == enrolment.c.id)
            .group_by(enrolment.c.learner_id)
        )
        for learner_id, n in connection.execute(progress):
            counts.setdefault(learner_id, Counter())["module_progress"] = n
    return {learner_id: dict(c) for learner_id, c in counts.items()}


def orphans(engine: Engine) -> dict[str, int]:
    """Rows that name a learner (or an enrolment) that no longer exists: none, ever."""
    found: dict[str, int] = {}
    with engine.connect() as connection:
        for table in LEARNER_LINKED:
            n = connection.execute(
                select(func.count())
                .select_from(table)
                .where(
                    table.c.learner_id.is_not(None),
                    table.c.learner_id.not_in(select(learner.c.id)),
                )
            ).scalar_one()
            if n:
                found[table.name] = n
        n = connection.execute(
            select(func.count())
            .select_from(module_progress)
            .where(module_progress.c.enrolment_id.not_in(select(enrolment.c.id)))
        ).scalar_one()
        if n:
            found["module_progress"] = n
    return found


def identifiers_found(
    engine: Engine, needles: Iterable[str]
) -> list[tuple[str, str, tuple[Any, ...], str]]:
    """Every (table, column, primary key, needle) where a column's text holds a needle.

    Every value of every row of every table is turned to text (JSON documents included) and
    searched case-insensitively.
    """
    wanted = [needle.casefold() for needle in needles]
    hits: list[tuple[str, str, tuple[Any, ...], str]] = []
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            key = list(table.primary_key.columns)
            for row in connection.execute(select(table)).mappings():
                pk = tuple(row[column.name] for column in key)
                for column in table.columns:
                    value = row[column.name]
                    if value is None:
                        continue
                    text = str(value).casefold()
                    hits.extend(
                        (table.name, column.name, pk, needle) for needle in wanted if needle in text
                    )
    return hits


def leftovers(
    engine: Engine,
    identifiers: Iterable[str],
    *,
    pseudonym: str | None = None,
    allowed: Iterable[tuple[str, str]] = (),
) -> list[tuple[str, str, tuple[Any, ...], str]]:
    """Where a person's identifiers remain, apart from the ``allowed`` (table, column) pairs
    and the pseudonym in the audit log (which names people by pseudonym only)."""
    permitted = set(allowed)
    needles = [*identifiers, *([pseudonym] if pseudonym else [])]
    return [
        hit
        for hit in identifiers_found(engine, needles)
        if (hit[0], hit[1]) not in permitted
        and not (pseudonym and hit[0] == "audit_entry" and hit[3] == pseudonym.casefold())
    ]


def rows(engine: Engine, table: Table, *where: Any) -> list[dict[str, Any]]:
    """The rows of ``table`` matching ``where``, as dicts, in primary-key order."""
    with engine.connect() as connection:
        query = select(table).where(*where).order_by(*table.primary_key.columns)
        return [dict(row) for row in connection.execute(query).mappings()]


def learner_row(engine: Engine, email: str) -> dict[str, Any] | None:
    found = rows(engine, learner, learner.c.email == email)
    return found[0] if found else None


# -- one of everything, on both sides of every rule's threshold ---------------------------------

EVERYTHING_AS_OF = date(2026, 3, 1)
# What a sweep of :func:`load_everything` expires as of ``EVERYTHING_AS_OF``, rule by rule,
# worked out by hand (the comment by each record says why).
EVERYTHING_EXPIRED = {
    "learner_data": 12,
    "commercial_contact": 1,
    "sponsor_contacts": 2,
    "sponsors": 2,
    "invoices": 1,
    "opco_dossiers": 1,
    "newsletter": 1,
    "newsletter_unconfirmed": 1,
    "contact_messages": 1,
    "outbox": 1,
    "unlinked_documents": 0,
    "unlinked_statements": 0,
    "accounts": 0,
    "sessions": 0,
    "throttle_counters": 0,
    "subject_requests": 0,
    "disclosure_log": 0,
    "audit_log": 2,
}


def load_everything(engine: Engine) -> None:
    """Records of every rule, some expired as of 1 March 2026 and some not."""
    old_org = {
        "ref": "ORG-OLD",
        "kind": "organisation",
        "name": "Tonnellerie Fictive",
        "email": "contact@tonnellerie-fictive.example.com",
        "address": "4 quai des Tonneaux\n33000 Bordeaux",
        "contacts": [
            {"name": "Ange Contact", "email": "ange@tonnellerie-fictive.example.com"},
            {"name": "Bo Contact", "email": "bo@tonnellerie-fictive.example.com"},
        ],
    }
    new_org = {
        "ref": "ORG-NEW",
        "kind": "organisation",
        "name": "Verrerie Fictive",
        "contacts": [{"name": "Cyan Contact", "email": "cyan@verrerie-fictive.example.com"}],
    }
    individual = {
        "ref": "PART-OLD",
        "kind": "individual",
        "name": "Dali Fictif",
        "email": "dali.fictif@example.org",
        "address": "9 rue du Test\n31000 Toulouse",
    }
    keeper = "ancien.opco@example.org"
    doc = merge(
        # 12 expired learners (last active 30 Jun 2024, kept through 30 Dec 2025); the
        # contracts of 0, 4 and 8 ended 30 Jun 2025, so they leave a commercial contact.
        cohort(
            "old",
            12,
            last_activity="2024-06-30T10:00:00Z",
            recent_every=4,
            recent_contract_end="2025-06-30",
        ),
        # 5 learners active on 15 Jan 2026.
        cohort("new", 5, last_activity="2026-01-15T10:00:00Z"),
        document(
            learners=[learner_doc(keeper, "Ancien", "Financé", "2026-01-20T10:00:00Z")],
            sponsors=[old_org, new_org, individual],
            contracts=[
                # ORG-OLD and PART-OLD: last contract ended long ago (2024): 2 contacts, 2
                # sponsors expire. ORG-NEW's runs to the end of 2025: kept.
                contract_doc("CT-ORG-OLD", "employer_plan", "2024-01-31", sponsor="ORG-OLD"),
                contract_doc("CT-PART-OLD", "online_payment", "2024-02-29", sponsor="PART-OLD"),
                contract_doc("CT-ORG-NEW", "employer_plan", "2025-12-31", sponsor="ORG-NEW"),
                contract_doc(
                    "CT-KEEPER", "opco", "2019-06-30", learners=[keeper], starts_on="2019-01-07"
                ),
            ],
            # Issued 31 Dec 2015, in the year closing that day (kept through 31 Dec 2025):
            # expired; 1 Jan 2016, in the year closing 31 Dec 2016 (through 31 Dec 2026): kept.
            invoices=[
                invoice_doc("FA-2015-12", "2015-12-31", name="Dali Fictif", email=None),
                invoice_doc("FA-2016-01", "2016-01-01", name="Dali Fictif", email=None),
            ],
            # Training ended 30 Jun 2019 (kept through 30 Jun 2025): expired, while its
            # learner is still active.
            opco_dossiers=[
                opco_doc(
                    "AC-KEEPER",
                    "CT-KEEPER",
                    keeper,
                    "Ancien Financé",
                    start="2019-01-07",
                    end="2019-06-30",
                )
            ],
            newsletter_subscriptions=[
                subscription_doc("abonne@example.net", None),
                subscription_doc("parti.janvier@example.net", "2026-01-10T08:00:00Z"),  # expired
                subscription_doc("parti.ce.matin@example.net", "2026-03-01T08:00:00Z"),  # kept
                # Never confirmed: kept one month after subscribing (through 31 January).
                pending_doc("jamais.confirme@example.net", "2026-01-31T23:59:00Z"),  # expired
                pending_doc("pas.encore@example.net", "2026-02-01T00:00:00Z"),  # kept
            ],
            contact_messages=[
                message_doc(
                    "Eden Curieux",
                    "eden.curieux@example.net",
                    received="2024-08-01T09:00:00Z",
                    last_exchange="2024-08-01T09:00:00Z",  # kept through 1 Feb 2026: expired
                ),
                message_doc(
                    "Eden Curieux",
                    "eden.curieux@example.net",
                    received="2025-08-01T09:00:00Z",
                    last_exchange="2025-08-01T09:00:00Z",
                ),
            ],
        ),
    )
    load(engine, doc)
    with engine.begin() as connection:
        connection.execute(
            insert(commercial_contact),
            [
                # 30 Jun 2024 + 18 months = 30 Dec 2025: expired; 31 Jan 2025: kept.
                {
                    "email": "fanny.ancienne@example.org",
                    "contract_reference": "CT-1999",
                    "last_contract_end": date(2024, 6, 30),
                    "created_at": instant("2025-01-01T02:00:00Z"),
                },
                {
                    "email": "gael.ancien@example.org",
                    "contract_reference": "CT-2000",
                    "last_contract_end": date(2025, 1, 31),
                    "created_at": instant("2025-02-01T02:00:00Z"),
                },
            ],
        )
        # Queued 1 Oct 2025 (kept three months, through 1 Jan 2026): expired; 15 Feb: kept.
        outbox(connection, "old-message", "abonne@example.net", None, "2025-10-01T06:00:00Z")
        outbox(connection, "new-message", "abonne@example.net", None, "2026-02-15T06:00:00Z")
        # Two audit entries of 2015 (kept 120 months, through 2025): pruned; one of 2020: kept.
        for recorded in ("2015-06-01T10:00:00Z", "2015-06-02T10:00:00Z", "2020-06-01T10:00:00Z"):
            append_audit(
                connection,
                action="test.entry",
                actor="test",
                details={"note": "written by the retention tests"},
                recorded_at=instant(recorded),
            )


def only(counts: dict[str, int], **expected: int) -> None:
    """Every rule expired nothing, except those of ``expected``."""
    assert {name: n for name, n in counts.items() if n} == expected
