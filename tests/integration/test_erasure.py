"""Erasure on request: everything erasable goes at once; what a legal duty keeps stays, reduced
to its rule's ``hold`` fields, and the answer says what was kept, on what basis, until when.

Afterwards a scan of every column of every table finds none of the person's identifiers
outside the records kept with a legal basis.
"""

from __future__ import annotations

import io
import json
import sys
from collections import Counter
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select

from gardien.cli.main import main
from gardien.domain.clock import FixedClock
from gardien.services.erasure import ErasureResult, KeptRecord, erase_subject
from gardien.store.retention.records import ANONYMISED_NAME
from gardien.store.tables import (
    audit_entry,
    commercial_contact,
    invoice,
    learner,
    opco_dossier,
    sponsor,
)
from gardien.store.uow import UnitOfWork
from tests.support.accounts import give_account
from tests.support.import_samples import dump_tables
from tests.support.lookup import LOOKUP
from tests.support.retention_samples import (
    contract_doc,
    default_policy,
    document,
    enrolment_doc,
    footprints,
    identifiers_found,
    instant,
    invoice_doc,
    learner_doc,
    learner_row,
    load,
    message_doc,
    opco_doc,
    outbox,
    rows,
    statements,
    subscription_doc,
    verify,
)

AS_OF = date(2026, 6, 1)
ZELIE = "zelie.quintal@example.org"
NAME = "Zélie Quintal"
STREET = "17 rue des Fictions"  # her address, on her invoice and her sponsor record
YANN = "yann.voisin@example.org"  # her colleague on the same OPCO-funded training
ZELIE_ACTIVE = "2026-05-10T09:00:00Z"
YANN_ACTIVE = "2026-05-12T09:00:00Z"

INVOICE = "FA-2025-0930"  # issued 30 Sep 2025, year closing 31 Dec 2025: kept through 2035
DOSSIER = "AC-201"  # training ended 19 Dec 2025: kept through 19 Dec 2031

ERASED = {
    "account": 1,
    "activity_statement": 3,
    "commercial_contact": 1,
    "contact_message": 1,
    "contract_learner": 2,
    "enrolment": 1,
    "learner": 1,
    "module_progress": 2,
    "newsletter_subscription": 1,
    "opco_dossier (detached)": 1,
    "outbox_message": 2,
    "sponsor (anonymised)": 1,
    "sponsor_contact": 1,
}
INVOICE_HOLD = ["billing_address", "billing_email", "billing_name"]
OPCO_HOLD = ["trainee_name"]


def load_zelie(engine: Engine) -> None:
    """Zélie: a learner on an OPCO-funded training and on a course she paid for herself (an
    individual sponsor, invoiced); her employer's training contact; a newsletter subscriber;
    she wrote through the contact form; a commercial contact left from an earlier account;
    e-mails queued for her. Yann and the employer are there to stay untouched."""
    employer = {
        "ref": "ORG-EMP",
        "kind": "organisation",
        "name": "Menuiserie Fictive SAS",
        "email": "rh@menuiserie-fictive.example.com",
        "address": "5 rue de l'Atelier\n69000 Lyon",
        "contacts": [
            {"name": NAME, "email": ZELIE, "role": "Référente formation"},
            {"name": "Wassim Collègue", "email": "wassim.collegue@menuiserie-fictive.example.com"},
        ],
    }
    herself = {
        "ref": "PART-1",
        "kind": "individual",
        "name": NAME,
        "email": ZELIE,
        "address": f"{STREET}\n69000 Lyon",
    }
    load(
        engine,
        document(
            learners=[
                learner_doc(ZELIE, "Zélie", "Quintal", ZELIE_ACTIVE),
                learner_doc(YANN, "Yann", "Voisin", YANN_ACTIVE),
            ],
            sponsors=[employer, herself],
            contracts=[
                contract_doc(
                    "CT-201",
                    "opco",
                    "2025-12-19",
                    learners=[ZELIE, YANN],
                    sponsor="ORG-EMP",
                    starts_on="2025-09-01",
                ),
                contract_doc(
                    "CT-202",
                    "online_payment",
                    "2026-06-30",
                    learners=[ZELIE],
                    sponsor="PART-1",
                    starts_on="2025-09-30",
                ),
            ],
            enrolments=[
                enrolment_doc(ZELIE, "CT-202", updated=ZELIE_ACTIVE),
                enrolment_doc(YANN, "CT-201", updated=YANN_ACTIVE),
            ],
            statements=statements(ZELIE, 3, last=ZELIE_ACTIVE)
            + statements(YANN, 2, last=YANN_ACTIVE),
            invoices=[
                invoice_doc(
                    INVOICE,
                    "2025-09-30",
                    name=NAME,
                    email=ZELIE,
                    contract_ref="CT-202",
                    address=f"{STREET}\n69000 Lyon",
                ),
                invoice_doc(
                    "FA-2025-1219",
                    "2025-12-19",
                    name="Menuiserie Fictive SAS",
                    email="rh@menuiserie-fictive.example.com",
                    contract_ref="CT-201",
                ),
            ],
            opco_dossiers=[
                opco_doc(DOSSIER, "CT-201", ZELIE, NAME, start="2025-09-01", end="2025-12-19"),
                opco_doc(
                    "AC-202", "CT-201", YANN, "Yann Voisin", start="2025-09-01", end="2025-12-19"
                ),
            ],
            newsletter_subscriptions=[
                subscription_doc(ZELIE, None),
                subscription_doc("lecteur@example.net", None),
            ],
            contact_messages=[
                message_doc(
                    NAME,
                    ZELIE,
                    received="2026-02-02T09:00:00Z",
                    last_exchange="2026-02-03T10:00:00Z",
                )
            ],
        ),
    )
    with engine.begin() as connection:
        ids = dict(connection.execute(select(learner.c.email, learner.c.id)).all())
        give_account(connection, ZELIE, "$argon2id$x")
        connection.execute(
            insert(commercial_contact).values(
                email=ZELIE,
                contract_reference="CT-150",
                last_contract_end=date(2025, 1, 31),
                created_at=instant("2025-03-01T02:00:00Z"),
            )
        )
        outbox(connection, "warning-z", ZELIE, ids[ZELIE], "2026-05-20T06:00:00Z")
        outbox(connection, "newsletter-z", ZELIE, None, "2026-05-25T06:00:00Z")
        outbox(connection, "warning-y", YANN, ids[YANN], "2026-05-20T06:00:00Z")


def erase(engine: Engine, email: str) -> ErasureResult:
    return erase_subject(
        email,
        uow=UnitOfWork(engine, write=True),
        policy=default_policy(),
        clock=FixedClock.on(AS_OF),
        lookup=LOOKUP,
    )


def expected_kept() -> list[KeptRecord]:
    rules = default_policy().retention
    invoices, dossiers = rules["invoices"].hold, rules["opco_dossiers"].hold
    assert invoices is not None
    assert dossiers is not None
    return [
        KeptRecord(
            record="opco_dossier",
            key=DOSSIER,
            rule="opco_dossiers",
            fields=[
                "trainee_name",
                "training_start",
                "training_end",
                "duration_hours",
                "certificate_ref",
                "attendance_summary",
            ],
            legal_basis="legal_obligation",
            article="6(1)(c)",
            reason={"fr": dossiers.reason.fr, "en": dossiers.reason.en},
            until=date(2031, 12, 19),  # 19 Dec 2025 + 72 months
        ),
        KeptRecord(
            record="invoice",
            key=INVOICE,
            rule="invoices",
            fields=[
                "number",
                "issued_on",
                "total_cents",
                "billing_name",
                "billing_address",
                "billing_email",
            ],
            legal_basis="legal_obligation",
            article="6(1)(c)",
            reason={"fr": invoices.reason.fr, "en": invoices.reason.en},
            # Issued 30 Sep 2025: 120 months from the close of its year, 31 Dec 2025.
            until=date(2035, 12, 31),
        ),
    ]


def changes(
    before: dict[str, list[tuple[Any, ...]]], after: dict[str, list[tuple[Any, ...]]]
) -> tuple[dict[str, int], dict[str, int]]:
    """Rows removed and rows added, per table, between two dumps."""
    removed: dict[str, int] = {}
    added: dict[str, int] = {}
    for table in before:
        # By their text: JSON documents are dicts, which cannot be counted as they are.
        old, new = Counter(map(repr, before[table])), Counter(map(repr, after[table]))
        if n := sum((old - new).values()):
            removed[table] = n
        if n := sum((new - old).values()):
            added[table] = n
    return removed, added


def test_erasure_removes_everything_but_what_a_legal_duty_keeps(engine: Engine) -> None:
    load_zelie(engine)
    zelie = learner_row(engine, ZELIE)
    assert zelie is not None
    yann = learner_row(engine, YANN)
    assert yann is not None
    identifiers = [ZELIE, "Zélie", "Quintal", STREET, zelie["pseudonym"]]
    # The scan finds her nearly everywhere before.
    assert {hit[0] for hit in identifiers_found(engine, identifiers)} >= {
        "learner",
        "activity_statement",
        "sponsor",
        "sponsor_contact",
        "newsletter_subscription",
        "contact_message",
        "commercial_contact",
        "outbox_message",
        "invoice",
        "opco_dossier",
    }
    before = dump_tables(engine)
    (held_invoice,) = rows(engine, invoice, invoice.c.number == INVOICE)
    (held_dossier,) = rows(engine, opco_dossier, opco_dossier.c.agreement_reference == DOSSIER)
    yann_before = footprints(engine)[yann["id"]]

    result = erase(engine, "  Zelie.Quintal@Example.ORG ")  # as typed

    assert result.found
    assert result.email == ZELIE
    assert result.as_of == AS_OF
    assert result.erased == ERASED
    assert sorted(result.kept, key=lambda k: k.record) == sorted(
        expected_kept(), key=lambda k: k.record
    )

    # Kept, to the last field: the invoice as it was; the dossier detached from her account.
    # Both now carry the keyed lookup of her address, by which she still finds them.
    mark = {"subject_lookup": LOOKUP.of(ZELIE)}
    assert rows(engine, invoice, invoice.c.number == INVOICE) == [held_invoice | mark]
    assert rows(engine, opco_dossier, opco_dossier.c.agreement_reference == DOSSIER) == [
        held_dossier | {"learner_id": None} | mark
    ]
    # Her own sponsor record stays for the contract's accounting, anonymised.
    (herself,) = rows(engine, sponsor, sponsor.c.ref == "PART-1")
    assert (herself["name"], herself["email"], herself["address"]) == (ANONYMISED_NAME, None, None)

    # Nothing else changed: the rows removed are hers; the rows added are the anonymised
    # sponsor, the detached dossier, the invoice with its lookup and the audit entry (with the
    # chain's head).
    removed, added = changes(before, dump_tables(engine))
    assert removed == {
        "invoice": 1,
        "account": 1,
        "activity_statement": 3,
        "commercial_contact": 1,
        "contact_message": 1,
        "contract_learner": 2,
        "enrolment": 1,
        "learner": 1,
        "module_progress": 2,
        "newsletter_subscription": 1,
        "opco_dossier": 1,
        "outbox_message": 2,
        "sponsor": 1,
        "sponsor_contact": 1,
    }
    assert added == {
        "audit_entry": 1,
        "audit_head": 1,
        "invoice": 1,
        "opco_dossier": 1,
        "sponsor": 1,
    }
    assert footprints(engine)[yann["id"]] == yann_before

    # Her identifiers remain only in the held fields of the held rows, and her pseudonym in
    # the audit log; the log holds no e-mail, name or address of hers.
    hits = identifiers_found(engine, identifiers)
    held = {("invoice", column, (held_invoice["id"],)) for column in INVOICE_HOLD} | {
        ("opco_dossier", column, (held_dossier["id"],)) for column in OPCO_HOLD
    }
    pseudonym = zelie["pseudonym"].casefold()
    audit = [hit for hit in hits if hit[0] == "audit_entry"]
    assert audit, "the audit log names her pseudonym"
    assert {hit[3] for hit in audit} == {pseudonym}
    elsewhere = [hit for hit in hits if hit[0] != "audit_entry" and hit[:3] not in held]
    assert elsewhere == []
    assert {hit[:3] for hit in hits if hit[0] != "audit_entry"} == held
    hold = {rule.record: rule.hold for rule in default_policy().retention.values() if rule.hold}
    for table, column, _ in held:
        held_fields = hold[table]
        assert held_fields is not None
        assert f"{table}.{column}" in held_fields.fields

    (entry,) = rows(engine, audit_entry)
    assert entry["action"] == "subject.erased"
    assert zelie["pseudonym"] in entry["details"]["subjects"]
    assert entry["details"]["kept"] == [
        {"record": "opco_dossier", "rule": "opco_dossiers"},
        {"record": "invoice", "rule": "invoices"},
    ]
    assert verify(engine).ok


def test_an_unknown_address_changes_nothing(engine: Engine) -> None:
    load_zelie(engine)
    before = dump_tables(engine)

    result = erase(engine, "personne.inconnue@example.org")

    assert not result.found
    assert (result.erased, result.kept) == ({}, [])
    assert result.as_json()["found"] is False
    assert dump_tables(engine) == before  # not even an audit entry


def test_a_record_past_its_legal_period_is_erased_not_kept(engine: Engine) -> None:
    # As of 1 June 2026 no duty keeps these any more (the invoice, of the financial year
    # closed 31 December 2015, was kept through 31 December 2025, the dossier through
    # 31 January 2026): the sweep would delete them, and an erasure must too, rather than tell
    # the person they are kept "until" a day already past.
    issued, training_end = "2015-03-31", "2020-01-31"
    load(
        engine,
        document(
            learners=[learner_doc(ZELIE, "Zélie", "Quintal", ZELIE_ACTIVE)],
            contracts=[
                contract_doc(
                    "CT-190", "opco", training_end, learners=[ZELIE], starts_on="2019-09-02"
                )
            ],
            invoices=[
                invoice_doc(
                    "FA-2015-0331", issued, name=NAME, email=ZELIE, address=f"{STREET}\n69000 Lyon"
                )
            ],
            opco_dossiers=[
                opco_doc("AC-190", "CT-190", ZELIE, NAME, start="2019-09-02", end=training_end)
            ],
        ),
    )

    result = erase(engine, ZELIE)

    assert [(k.record, k.until) for k in result.kept if k.until and k.until < AS_OF] == []
    assert rows(engine, invoice) == []
    assert rows(engine, opco_dossier) == []
    assert identifiers_found(engine, [ZELIE, "Zélie", "Quintal", STREET]) == []


# -- the command line ---------------------------------------------------------------------------


def test_the_cli_refuses_to_erase_without_yes_when_it_cannot_ask(
    engine: Engine,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    load_zelie(engine)
    before = dump_tables(engine)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # no terminal to ask on

    code = main(["--database-url", database_url, "subject", "erase", "--email", ZELIE])

    assert code == 2
    captured = capsys.readouterr()
    assert captured.err == "gardien: erasure cannot be undone: confirm with --yes\n"
    assert captured.out == ""
    assert dump_tables(engine) == before


def test_the_cli_erases_with_yes_and_answers_in_json(
    engine: Engine, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    load_zelie(engine)
    argv = ["--database-url", database_url, "subject", "erase", "--email", ZELIE]

    assert main([*argv, "--yes", "--json", "--as-of", AS_OF.isoformat()]) == 0

    answer = json.loads(capsys.readouterr().out)
    assert answer["subject"] == {"email": ZELIE}
    assert answer["as_of"] == "2026-06-01"
    assert answer["found"] is True
    assert answer["erased"] == ERASED
    assert sorted(answer["kept"], key=lambda k: k["record"]) == sorted(
        (k.as_json() for k in expected_kept()), key=lambda k: k["record"]
    )
    by_record = {k["record"]: k for k in answer["kept"]}
    assert by_record["invoice"]["until"] == "2035-12-31"
    assert by_record["invoice"]["legal_basis"] == "legal_obligation"
    assert "L123-22" in by_record["invoice"]["reason"]["en"]
    assert by_record["opco_dossier"]["until"] == "2031-12-19"
    assert set(answer["accountability"]) == {"fr", "en"}
    assert learner_row(engine, ZELIE) is None
    # A second request finds nothing left to erase, only what is held.
    assert main([*argv, "--yes", "--as-of", AS_OF.isoformat()]) == 0
    out = capsys.readouterr().out
    assert "erased: nothing" in out
    assert f"kept: invoice {INVOICE} (" in out
    assert "until 2035-12-31, legal_obligation (GDPR art. 6(1)(c))" in out
