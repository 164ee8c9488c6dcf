"""Every retention rule of the default policy, swept the day before, the day of and the day
after its end (the last day a record is kept, then the first day it is expired).

The boundary days are computed with the domain's arithmetic; ``test_worked_examples`` checks
that arithmetic against dates worked out by hand, one per scenario. Most sweeps go through the
service; some through the command line, ``gardien sweep --as-of DATE --json``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine, insert, update
from sqlalchemy.exc import IntegrityError

from gardien.cli.main import main
from gardien.store.retention.records import ANONYMISED_NAME
from gardien.store.tables import (
    commercial_contact,
    contact_message,
    contract,
    contract_learner,
    cpf_dossier,
    invoice,
    learner,
    newsletter_subscription,
    opco_dossier,
    sponsor,
    sponsor_contact,
)
from tests.support.retention_samples import (
    BOUNDARY,
    KEPT,
    boundary,
    contract_doc,
    cpf_doc,
    document,
    enrolment_doc,
    footprints,
    instant,
    invoice_doc,
    learner_doc,
    learner_row,
    leftovers,
    load,
    message_doc,
    opco_doc,
    orphans,
    rows,
    rule,
    run_sweep,
    statements,
    subscription_doc,
    verify,
    warn,
)

Sweeper = Callable[[date], dict[str, int]]


@pytest.fixture(params=BOUNDARY)
def when(request: pytest.FixtureRequest) -> str:
    """Which side of the retention end the sweep runs on."""
    return str(request.param)


@pytest.fixture(params=["service", "cli"])
def sweeper(
    request: pytest.FixtureRequest,
    engine: Engine,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
) -> Sweeper:
    """Sweep as of a day, through the service or the command line; expired count per rule."""

    def through_service(day: date) -> dict[str, int]:
        return {r.rule: r.expired for r in run_sweep(engine, day).rules}

    def through_cli(day: date) -> dict[str, int]:
        capsys.readouterr()
        argv = ["--database-url", database_url, "sweep", "--as-of", day.isoformat(), "--json"]
        assert main(argv) == 0
        report = json.loads(capsys.readouterr().out)
        assert report["as_of"] == day.isoformat()
        assert report["dry_run"] is False
        return {r["rule"]: r["expired"] for r in report["rules"]}

    return through_service if request.param == "service" else through_cli


def only(counts: dict[str, int], **expected: int) -> None:
    """Every rule expired nothing, except those of ``expected``."""
    assert {name: n for name, n in counts.items() if n} == expected


# -- a learner inactive for 18 months -----------------------------------------------------------

LEA = "lea.dormante@example.org"
LEA_ACTIVE = "2024-08-31T18:00:00Z"
NOE = "noe.assidu@example.org"
NOE_ACTIVE = "2026-02-20T09:00:00Z"
PASSWORD_HASH = "$argon2id$v=19$m=65536,t=3,p=4$ZmljdGlvbmFs$aGFzaC1vZi1sZWE"


def load_lea(engine: Engine) -> None:
    """Léa (last active 31 Aug 2024, CPF-funded, her last contract ended 30 June 2024) and Noé,
    active, who must come through every sweep untouched."""
    load(
        engine,
        document(
            learners=[
                learner_doc(LEA, "Léa", "Dormante", LEA_ACTIVE),
                learner_doc(NOE, "Noé", "Assidu", NOE_ACTIVE),
            ],
            contracts=[
                contract_doc("CT-101", "cpf", "2024-06-30", learners=[LEA]),
                contract_doc("CT-102", "cpf", "2026-06-30", learners=[NOE]),
            ],
            enrolments=[
                enrolment_doc(LEA, "CT-101", updated=LEA_ACTIVE),
                enrolment_doc(NOE, "CT-102", updated=NOE_ACTIVE),
            ],
            statements=statements(LEA, 3, last=LEA_ACTIVE) + statements(NOE, 2, last=NOE_ACTIVE),
            cpf_dossiers=[cpf_doc("EDOF-101", "CT-101", LEA), cpf_doc("EDOF-102", "CT-102", NOE)],
            # Her own clock would keep this message to 2 April 2026: it goes with her.
            contact_messages=[
                message_doc(
                    "Léa Dormante",
                    LEA,
                    received="2024-10-01T09:00:00Z",
                    last_exchange="2024-10-02T09:00:00Z",
                )
            ],
        ),
    )
    with engine.begin() as connection:
        connection.execute(
            update(learner).where(learner.c.email == LEA).values(password_hash=PASSWORD_HASH)
        )
    # The inactivity warning the sweep queued for her 30 days before expiry (the outbox rule
    # would keep it three months): it goes with her.
    warn(engine, date(2026, 1, 30))


def test_a_learner_inactive_18_months_goes_with_all_that_is_theirs(
    engine: Engine, sweeper: Sweeper, when: str
) -> None:
    load_lea(engine)
    lea = learner_row(engine, LEA)
    assert lea is not None
    noe = learner_row(engine, NOE)
    assert noe is not None
    before = footprints(engine)
    assert before[lea["id"]] == {
        "activity_statement": 3,
        "enrolment": 1,
        "module_progress": 2,
        "contract_learner": 1,
        "cpf_dossier": 1,
        "outbox_message": 1,
    }

    counts = sweeper(boundary(LEA_ACTIVE, 18).day(when))

    after = footprints(engine)
    assert after[noe["id"]] == before[noe["id"]]
    assert learner_row(engine, NOE) == noe
    if KEPT[when]:
        only(counts)
        assert after == before
        assert learner_row(engine, LEA) == lea  # identity and credentials untouched
        assert len(rows(engine, contact_message)) == 1
        return
    only(counts, learner_data=1)
    assert learner_row(engine, LEA) is None
    assert rows(engine, contact_message) == []
    assert lea["id"] not in after
    assert orphans(engine) == {}
    assert rows(engine, cpf_dossier, cpf_dossier.c.edof_number == "EDOF-101") == []
    assert rows(engine, commercial_contact) == []  # her last contract's period ended 30 Dec 2025
    # The contract is business data, about no person: it stays, without her.
    assert len(rows(engine, contract, contract.c.reference == "CT-101")) == 1
    assert (
        leftovers(engine, [LEA, "Léa", "Dormante", PASSWORD_HASH], pseudonym=lea["pseudonym"]) == []
    )
    assert verify(engine).ok


def test_the_sweep_reports_what_went_with_the_learner(engine: Engine) -> None:
    load_lea(engine)
    report = run_sweep(engine, boundary(LEA_ACTIVE, 18).first_gone)
    assert rule(report, "learner_data").expired == 1
    assert rule(report, "learner_data").batches == 1
    assert dict(rule(report, "learner_data").rows) == {
        "activity_statement": 3,
        "contract_learner": 1,
        "cpf_dossier": 1,
        "enrolment": 1,
        "learner": 1,
        "module_progress": 2,
        "outbox_message": 1,
        "contact_message": 1,
    }


# -- a learner with an invoice ------------------------------------------------------------------

INES = "ines.facturee@example.org"
INES_ACTIVE = "2024-02-29T10:00:00Z"
INVOICE_ISSUED = "2024-02-29"


def load_ines(engine: Engine) -> None:
    """Inès paid her course online; the invoice carries her name, address and e-mail."""
    load(
        engine,
        document(
            learners=[learner_doc(INES, "Inès", "Facturée", INES_ACTIVE)],
            contracts=[contract_doc("CT-103", "online_payment", "2024-02-29", learners=[INES])],
            enrolments=[enrolment_doc(INES, "CT-103", updated=INES_ACTIVE)],
            statements=statements(INES, 2, last=INES_ACTIVE),
            invoices=[
                invoice_doc(
                    "FA-2024-0229",
                    INVOICE_ISSUED,
                    name="Inès Facturée",
                    email=INES,
                    contract_ref="CT-103",
                )
            ],
        ),
    )


def test_the_invoice_outlives_its_learner_untouched(engine: Engine) -> None:
    load_ines(engine)
    kept = rows(engine, invoice)
    report = run_sweep(engine, boundary(INES_ACTIVE, 18).first_gone)
    assert rule(report, "learner_data").expired == 1
    assert rule(report, "invoices").expired == 0
    assert learner_row(engine, INES) is None
    assert rows(engine, invoice) == kept  # the billing snapshot, to the last field
    assert kept[0]["billing_name"] == "Inès Facturée"
    assert kept[0]["billing_email"] == INES


def test_the_invoice_and_its_billing_snapshot_last_120_months(
    engine: Engine, sweeper: Sweeper, when: str
) -> None:
    load_ines(engine)
    ines = learner_row(engine, INES)
    assert ines is not None
    kept = rows(engine, invoice)
    run_sweep(engine, boundary(INES_ACTIVE, 18).first_gone)

    counts = sweeper(boundary(INVOICE_ISSUED, 120).day(when))

    if KEPT[when]:
        only(counts)
        assert rows(engine, invoice) == kept
        return
    only(counts, invoices=1)
    assert rows(engine, invoice) == []
    assert leftovers(engine, [INES, "Inès", "Facturée"], pseudonym=ines["pseudonym"]) == []
    assert verify(engine).ok


# -- an OPCO-funded learner ---------------------------------------------------------------------

OSCAR = "oscar.finance@example.org"
OSCAR_ACTIVE = "2024-09-15T09:00:00Z"
TRAINING_END = "2024-02-29"


def load_oscar(engine: Engine) -> None:
    """Oscar's employer had his training funded by an OPCO; it ended on 29 February 2024."""
    load(
        engine,
        document(
            learners=[learner_doc(OSCAR, "Oscar", "Financé", OSCAR_ACTIVE)],
            sponsors=[
                {
                    "ref": "ORG-OPCO",
                    "kind": "organisation",
                    "name": "Menuiserie Fictive SAS",
                    "email": "rh@menuiserie-fictive.example.com",
                }
            ],
            contracts=[
                contract_doc(
                    "CT-104",
                    "opco",
                    TRAINING_END,
                    learners=[OSCAR],
                    sponsor="ORG-OPCO",
                    starts_on="2023-10-02",
                )
            ],
            enrolments=[enrolment_doc(OSCAR, "CT-104", updated=OSCAR_ACTIVE)],
            statements=statements(OSCAR, 2, last=OSCAR_ACTIVE),
            opco_dossiers=[
                opco_doc(
                    "AC-104", "CT-104", OSCAR, "Oscar Financé", start="2023-10-02", end=TRAINING_END
                )
            ],
        ),
    )


def test_the_opco_dossier_is_detached_when_the_learner_expires(
    engine: Engine, sweeper: Sweeper, when: str
) -> None:
    load_oscar(engine)
    oscar = learner_row(engine, OSCAR)
    assert oscar is not None
    (dossier,) = rows(engine, opco_dossier)
    assert dossier["learner_id"] == oscar["id"]

    counts = sweeper(boundary(OSCAR_ACTIVE, 18).day(when))

    if KEPT[when]:
        assert counts["learner_data"] == 0
        assert rows(engine, opco_dossier) == [dossier]
        return
    assert counts["learner_data"] == 1
    assert counts["opco_dossiers"] == 0
    assert learner_row(engine, OSCAR) is None
    # Detached, and every field of its snapshot as it was.
    assert rows(engine, opco_dossier) == [dossier | {"learner_id": None}]
    assert (
        leftovers(
            engine,
            [OSCAR, "Oscar", "Financé"],
            pseudonym=oscar["pseudonym"],
            allowed=[("opco_dossier", "trainee_name")],
        )
        == []
    )


def test_the_opco_dossier_lasts_72_months_after_the_training(
    engine: Engine, sweeper: Sweeper, when: str
) -> None:
    load_oscar(engine)
    run_sweep(engine, boundary(OSCAR_ACTIVE, 18).first_gone)
    (dossier,) = rows(engine, opco_dossier)
    assert dossier["learner_id"] is None

    counts = sweeper(boundary(TRAINING_END, 72).day(when))

    if KEPT[when]:
        assert counts["opco_dossiers"] == 0
        assert rows(engine, opco_dossier) == [dossier]
        return
    assert counts["opco_dossiers"] == 1
    assert rows(engine, opco_dossier) == []
    assert leftovers(engine, [OSCAR, "Oscar", "Financé"]) == []


# -- a CPF learner ------------------------------------------------------------------------------

CELIA = "celia.compte@example.org"
CELIA_ACTIVE = "2025-01-31T16:00:00Z"


def load_celia(engine: Engine) -> None:
    load(
        engine,
        document(
            learners=[learner_doc(CELIA, "Célia", "Compte", CELIA_ACTIVE)],
            contracts=[contract_doc("CT-105", "cpf", "2024-12-20", learners=[CELIA])],
            enrolments=[enrolment_doc(CELIA, "CT-105", updated=CELIA_ACTIVE)],
            statements=statements(CELIA, 2, last=CELIA_ACTIVE),
            cpf_dossiers=[cpf_doc("EDOF-105", "CT-105", CELIA)],
        ),
    )


def test_the_cpf_dossier_goes_with_the_learner(engine: Engine, when: str) -> None:
    load_celia(engine)
    celia = learner_row(engine, CELIA)
    assert celia is not None
    dossier = rows(engine, cpf_dossier)

    report = run_sweep(engine, boundary(CELIA_ACTIVE, 18).day(when))

    if KEPT[when]:
        assert rule(report, "learner_data").expired == 0
        assert rows(engine, cpf_dossier) == dossier
        assert len(rows(engine, contract_learner)) == 1
        return
    assert rule(report, "learner_data").expired == 1
    assert rows(engine, cpf_dossier) == []
    assert rows(engine, contract_learner) == []
    assert rows(engine, commercial_contact) == []  # 20 Dec 2024 + 18 months is past
    assert len(rows(engine, contract)) == 1
    assert leftovers(engine, [CELIA, "Célia", "Compte"], pseudonym=celia["pseudonym"]) == []


# -- an online-payment learner ------------------------------------------------------------------

PAUL = "paul.enligne@example.org"
# 00:30 in Paris on 1 December is still 30 November in UTC, the day the clock counts.
PAUL_ACTIVE = "2024-12-01T00:30:00+01:00"


def load_paul(engine: Engine) -> None:
    load(
        engine,
        document(
            learners=[learner_doc(PAUL, "Paul", "Enligne", PAUL_ACTIVE)],
            contracts=[contract_doc("CT-106", "online_payment", "2024-10-31", learners=[PAUL])],
            enrolments=[enrolment_doc(PAUL, "CT-106", updated=PAUL_ACTIVE)],
            statements=statements(PAUL, 2, last=PAUL_ACTIVE),
        ),
    )
    warn(engine, date(2026, 5, 1))  # 30 days before his data expires


def test_an_online_payment_learner_goes_and_nothing_of_him_remains(
    engine: Engine, sweeper: Sweeper, when: str
) -> None:
    load_paul(engine)
    paul = learner_row(engine, PAUL)
    assert paul is not None
    before = footprints(engine)

    counts = sweeper(boundary(PAUL_ACTIVE, 18).day(when))

    if KEPT[when]:
        only(counts)
        assert footprints(engine) == before
        return
    only(counts, learner_data=1)
    assert footprints(engine) == {}
    assert orphans(engine) == {}
    assert [c["reference"] for c in rows(engine, contract)] == ["CT-106"]
    assert leftovers(engine, [PAUL, "Paul", "Enligne"], pseudonym=paul["pseudonym"]) == []


# -- a sponsor's contact ------------------------------------------------------------------------

DOMINIQUE = "dominique.contact@scierie-fictive.example.com"
SCIERIE = "contact@scierie-fictive.example.com"
LAST_CONTRACT_END = "2024-08-31"


def load_scierie(engine: Engine) -> None:
    """An organisation whose last contract ended on 31 August 2024 (an earlier one in 2023)."""
    load(
        engine,
        document(
            sponsors=[
                {
                    "ref": "ORG-SCIERIE",
                    "kind": "organisation",
                    "name": "Scierie Fictive SARL",
                    "email": SCIERIE,
                    "address": "2 chemin du Bois\n88000 Épinal",
                    "contacts": [
                        {"name": "Dominique Contact", "email": DOMINIQUE, "role": "RH"},
                    ],
                }
            ],
            contracts=[
                contract_doc("CT-S-1", "employer_plan", "2023-05-31", sponsor="ORG-SCIERIE"),
                contract_doc("CT-S-2", "employer_plan", LAST_CONTRACT_END, sponsor="ORG-SCIERIE"),
            ],
        ),
    )


def test_a_sponsor_contact_goes_18_months_after_the_last_contract(
    engine: Engine, sweeper: Sweeper, when: str
) -> None:
    load_scierie(engine)
    contacts = rows(engine, sponsor_contact)
    (organisation,) = rows(engine, sponsor)

    counts = sweeper(boundary(LAST_CONTRACT_END, 18).day(when))

    if KEPT[when]:
        only(counts)
        assert rows(engine, sponsor_contact) == contacts
        assert rows(engine, sponsor) == [organisation]
        return
    only(counts, sponsor_contacts=1, sponsors=1)
    assert rows(engine, sponsor_contact) == []
    # The organisation keeps its name, which is no one's personal data.
    (anonymised,) = rows(engine, sponsor)
    assert anonymised["name"] == "Scierie Fictive SARL"
    assert anonymised["email"] is None
    assert anonymised["address"] is None
    assert anonymised["anonymised_at"] is not None
    assert leftovers(engine, [DOMINIQUE, "Dominique", SCIERIE, "chemin du Bois"]) == []


NEUF_CREATED = "2024-10-10T12:00:00Z"


def test_a_sponsor_without_contracts_counts_from_its_creation(engine: Engine, when: str) -> None:
    contact = "alex.nouveau@atelier-neuf.example.com"
    load(
        engine,
        document(
            sponsors=[
                {
                    "ref": "ORG-NEUF",
                    "kind": "organisation",
                    "name": "Atelier Neuf",
                    "contacts": [{"name": "Alex Nouveau", "email": contact}],
                }
            ]
        ),
        imported_at=instant(NEUF_CREATED),
    )

    report = run_sweep(engine, boundary(NEUF_CREATED, 18).day(when))

    expired = 0 if KEPT[when] else 1
    assert rule(report, "sponsor_contacts").expired == expired
    assert rule(report, "sponsors").expired == expired
    assert len(rows(engine, sponsor_contact)) == 1 - expired
    assert [s["name"] for s in rows(engine, sponsor)] == ["Atelier Neuf"]


# -- an individual sponsor ----------------------------------------------------------------------

CLAUDE = "claude.parent@example.org"
SACHA = "sacha.eleve@example.org"


def load_claude(engine: Engine) -> None:
    """Claude paid for Sacha's course (ended 31 Aug 2024); a school's contract ended that day
    too. Sacha is still active."""
    load(
        engine,
        document(
            learners=[learner_doc(SACHA, "Sacha", "Élève", "2026-02-20T09:00:00Z")],
            sponsors=[
                {
                    "ref": "PART-1",
                    "kind": "individual",
                    "name": "Claude Parent",
                    "email": CLAUDE,
                    "address": "8 allée des Cerisiers\n44000 Nantes",
                },
                {
                    "ref": "ORG-ECOLE",
                    "kind": "organisation",
                    "name": "École Fictive",
                    "email": "secretariat@ecole-fictive.example.org",
                    "address": "1 place de l'École\n44000 Nantes",
                },
            ],
            contracts=[
                contract_doc(
                    "CT-107",
                    "online_payment",
                    LAST_CONTRACT_END,
                    learners=[SACHA],
                    sponsor="PART-1",
                ),
                contract_doc("CT-ECOLE", "school_plan", LAST_CONTRACT_END, sponsor="ORG-ECOLE"),
            ],
        ),
    )


def test_an_individual_sponsor_is_anonymised(engine: Engine, sweeper: Sweeper, when: str) -> None:
    load_claude(engine)
    sponsors = rows(engine, sponsor)
    contracts = rows(engine, contract)
    sacha = learner_row(engine, SACHA)
    day = boundary(LAST_CONTRACT_END, 18).day(when)

    counts = sweeper(day)

    assert learner_row(engine, SACHA) == sacha
    assert rows(engine, contract) == contracts  # still naming their sponsor
    if KEPT[when]:
        only(counts)
        assert rows(engine, sponsor) == sponsors
        return
    only(counts, sponsors=2)
    claude, school = rows(engine, sponsor)
    assert claude == sponsors[0] | {
        "name": ANONYMISED_NAME,
        "email": None,
        "address": None,
        "anonymised_at": instant(f"{day.isoformat()}T12:00:00Z"),
    }
    assert school == sponsors[1] | {
        "email": None,
        "address": None,
        "anonymised_at": claude["anonymised_at"],
    }
    assert school["name"] == "École Fictive"
    assert leftovers(engine, [CLAUDE, "Claude", "Parent", "Cerisiers"]) == []
    # Anonymised once: a later sweep leaves the rows as they are.
    assert rule(run_sweep(engine, day + timedelta(days=30)), "sponsors").expired == 0
    assert rows(engine, sponsor) == [claude, school]


# -- the commercial contact of a former learner -------------------------------------------------

LOU = "lou.ancienne@example.org"
LOU_ACTIVE = "2024-03-15T10:00:00Z"


def load_lou(engine: Engine) -> None:
    """Lou's account expires on 16 Sep 2025, while her last contract (ended 31 Aug 2024) still
    runs its commercial period, to 28 Feb 2026."""
    load(
        engine,
        document(
            learners=[learner_doc(LOU, "Lou", "Ancienne", LOU_ACTIVE)],
            contracts=[
                contract_doc("CT-108", "employer_plan", "2023-12-31", learners=[LOU]),
                contract_doc("CT-109", "school_plan", LAST_CONTRACT_END, learners=[LOU]),
            ],
            enrolments=[enrolment_doc(LOU, "CT-109", updated=LOU_ACTIVE)],
            statements=statements(LOU, 2, last=LOU_ACTIVE),
        ),
    )


def test_the_commercial_contact_keeps_the_email_and_last_contract_only(engine: Engine) -> None:
    load_lou(engine)
    lou = learner_row(engine, LOU)
    assert lou is not None
    day = boundary(LOU_ACTIVE, 18).first_gone
    assert day < boundary(LAST_CONTRACT_END, 18).first_gone

    report = run_sweep(engine, day)

    assert rule(report, "learner_data").rows["commercial_contact"] == 1
    assert learner_row(engine, LOU) is None
    (kept,) = rows(engine, commercial_contact)
    assert kept == {
        "id": kept["id"],
        "email": LOU,
        "contract_reference": "CT-109",
        "last_contract_end": date.fromisoformat(LAST_CONTRACT_END),
        "created_at": instant(f"{day.isoformat()}T12:00:00Z"),
    }
    assert (
        leftovers(
            engine,
            [LOU, "Lou", "Ancienne"],
            pseudonym=lou["pseudonym"],
            allowed=[("commercial_contact", "email")],
        )
        == []
    )


def test_the_commercial_contact_lasts_18_months_after_the_last_contract(
    engine: Engine, sweeper: Sweeper, when: str
) -> None:
    load_lou(engine)
    run_sweep(engine, boundary(LOU_ACTIVE, 18).first_gone)
    kept = rows(engine, commercial_contact)
    assert len(kept) == 1

    counts = sweeper(boundary(LAST_CONTRACT_END, 18).day(when))

    if KEPT[when]:
        only(counts)
        assert rows(engine, commercial_contact) == kept
        return
    only(counts, commercial_contact=1)
    assert rows(engine, commercial_contact) == []
    assert leftovers(engine, [LOU, "Lou", "Ancienne"]) == []


def test_the_commercial_contact_is_made_only_while_its_period_runs(
    engine: Engine, when: str
) -> None:
    # No sweep ran while the account expired: the first one comes on the commercial boundary.
    load_lou(engine)
    lou = learner_row(engine, LOU)
    assert lou is not None
    day = boundary(LAST_CONTRACT_END, 18).day(when)

    report = run_sweep(engine, day)

    assert rule(report, "learner_data").expired == 1
    assert learner_row(engine, LOU) is None
    assert rule(report, "commercial_contact").expired == 0
    made = rows(engine, commercial_contact)
    if KEPT[when]:
        assert [(c["email"], c["contract_reference"]) for c in made] == [(LOU, "CT-109")]
    else:
        assert made == []
        assert leftovers(engine, [LOU, "Lou", "Ancienne"], pseudonym=lou["pseudonym"]) == []


def test_no_commercial_contact_when_its_period_ended_before_the_learner(engine: Engine) -> None:
    max_ = "max.tardif@example.org"
    load(
        engine,
        document(
            learners=[learner_doc(max_, "Max", "Tardif", LEA_ACTIVE)],
            contracts=[contract_doc("CT-110", "employer_plan", "2024-01-31", learners=[max_])],
        ),
    )
    # 31 Jan 2024 + 18 months = 31 Jul 2025, before his account expires (1 Mar 2026).
    report = run_sweep(engine, boundary(LEA_ACTIVE, 18).first_gone)
    assert rule(report, "learner_data").expired == 1
    assert "commercial_contact" not in rule(report, "learner_data").rows
    assert rows(engine, commercial_contact) == []


# -- newsletter subscribers ---------------------------------------------------------------------

READER = "lecteur.fidele@example.net"
LEAVER = "noe.parti@example.net"
# 00:30 in Paris on 21 May is 22:30 UTC on 20 May: the day the clock counts.
UNSUBSCRIBED = "2026-05-21T00:30:00+02:00"


def load_subscribers(engine: Engine) -> None:
    load(
        engine,
        document(
            newsletter_subscriptions=[
                subscription_doc(READER, None),
                subscription_doc(LEAVER, UNSUBSCRIBED),
            ]
        ),
    )


def test_an_unsubscribed_address_goes_the_day_after(
    engine: Engine, sweeper: Sweeper, when: str
) -> None:
    load_subscribers(engine)
    subscriptions = rows(engine, newsletter_subscription)

    counts = sweeper(boundary(UNSUBSCRIBED, 0).day(when))

    if KEPT[when]:
        only(counts)
        assert rows(engine, newsletter_subscription) == subscriptions
        return
    only(counts, newsletter=1)
    assert [s["email"] for s in rows(engine, newsletter_subscription)] == [READER]
    assert leftovers(engine, [LEAVER]) == []


def test_an_unsubscribed_address_without_its_date_is_refused(engine: Engine) -> None:
    # The rule's clock is the unsubscription instant. A subscription marked unsubscribed
    # without one would never expire: the import and the database both refuse it.
    undated = subscription_doc(LEAVER, None) | {"status": "unsubscribed"}
    with pytest.raises(ValidationError, match="unsubscribed_at is required"):
        load(engine, document(newsletter_subscriptions=[undated]))
    row = {
        "email": LEAVER,
        "status": "unsubscribed",
        "created_at": datetime(2024, 1, 1, tzinfo=UTC),
        "consent_at": datetime(2024, 1, 1, tzinfo=UTC),
        "consent_source": "footer",
        "consent_notice_version": "v1",
        "consent_wording": "Oui",
    }
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(insert(newsletter_subscription).values(row))
    assert rows(engine, newsletter_subscription) == []


@pytest.mark.parametrize("day", [date(2016, 1, 1), date(2026, 5, 21), date(2099, 12, 31)])
def test_a_subscriber_is_kept_whatever_the_date(engine: Engine, day: date) -> None:
    load_subscribers(engine)
    (reader,) = rows(engine, newsletter_subscription, newsletter_subscription.c.email == READER)
    run_sweep(engine, day)
    assert rows(engine, newsletter_subscription, newsletter_subscription.c.email == READER) == [
        reader
    ]


# -- contact messages ---------------------------------------------------------------------------

CURIOUS = "claude.curieux@example.net"
LAST_EXCHANGE = "2024-08-31T18:00:00Z"


def load_messages(engine: Engine) -> None:
    """Two exchanges of the same person: each message lives by its own last exchange."""
    load(
        engine,
        document(
            contact_messages=[
                message_doc(
                    "Claude Curieux",
                    CURIOUS,
                    received="2024-08-30T09:00:00Z",
                    last_exchange=LAST_EXCHANGE,
                ),
                message_doc(
                    "Claude Curieux",
                    CURIOUS,
                    received="2025-06-01T09:00:00Z",
                    last_exchange="2025-06-02T09:00:00Z",
                ),
            ]
        ),
    )


def test_a_contact_message_goes_18_months_after_the_last_exchange(
    engine: Engine, sweeper: Sweeper, when: str
) -> None:
    load_messages(engine)
    messages = rows(engine, contact_message)

    counts = sweeper(boundary(LAST_EXCHANGE, 18).day(when))

    if KEPT[when]:
        only(counts)
        assert rows(engine, contact_message) == messages
        return
    only(counts, contact_messages=1)
    assert rows(engine, contact_message) == messages[1:]


# -- the arithmetic, worked out by hand ---------------------------------------------------------


@dataclass(frozen=True)
class Worked:
    """A scenario's record, its clock and period, and the days worked out by hand."""

    load: Callable[[Engine], None]
    clock: str
    months: int
    present: Callable[[Engine], bool]
    last_kept: date
    first_gone: date


def _has(table: Any, *where: Any) -> Callable[[Engine], bool]:
    return lambda engine: bool(rows(engine, table, *where))


def _load_neuf(engine: Engine) -> None:
    doc = document(sponsors=[{"ref": "ORG-NEUF", "kind": "organisation", "name": "Atelier Neuf"}])
    load(engine, doc, imported_at=instant(NEUF_CREATED))


WORKED = {
    # 31 August + 18 months: February has no 31st, so the last day kept is the 28th.
    "learner": Worked(
        load_lea,
        LEA_ACTIVE,
        18,
        _has(learner, learner.c.email == LEA),
        date(2026, 2, 28),
        date(2026, 3, 1),
    ),
    # 29 February 2024 + 120 months: 2034 is no leap year.
    "invoice": Worked(
        load_ines, INVOICE_ISSUED, 120, _has(invoice), date(2034, 2, 28), date(2034, 3, 1)
    ),
    "opco dossier": Worked(
        load_oscar, TRAINING_END, 72, _has(opco_dossier), date(2030, 2, 28), date(2030, 3, 1)
    ),
    "cpf learner": Worked(
        load_celia, CELIA_ACTIVE, 18, _has(cpf_dossier), date(2026, 7, 31), date(2026, 8, 1)
    ),
    # Active at 00:30 on 1 Dec in Paris, i.e. 30 Nov in UTC: kept through 30 May 2026.
    "online payment learner": Worked(
        load_paul,
        PAUL_ACTIVE,
        18,
        _has(learner, learner.c.email == PAUL),
        date(2026, 5, 30),
        date(2026, 5, 31),
    ),
    "sponsor contact": Worked(
        load_scierie,
        LAST_CONTRACT_END,
        18,
        _has(sponsor_contact),
        date(2026, 2, 28),
        date(2026, 3, 1),
    ),
    "sponsor without contracts": Worked(
        _load_neuf,
        NEUF_CREATED,
        18,
        _has(sponsor, sponsor.c.anonymised_at.is_(None)),
        date(2026, 4, 10),
        date(2026, 4, 11),
    ),
    "individual sponsor": Worked(
        load_claude,
        LAST_CONTRACT_END,
        18,
        _has(sponsor, sponsor.c.name == "Claude Parent"),
        date(2026, 2, 28),
        date(2026, 3, 1),
    ),
    # The learner expired on 16 Sep 2025; the commercial contact made then ends with February.
    "commercial contact": Worked(
        load_lou,
        LAST_CONTRACT_END,
        18,
        _has(commercial_contact, commercial_contact.c.email == LOU),
        date(2026, 2, 28),
        date(2026, 3, 1),
    ),
    # Unsubscribed 21 May 00:30 in Paris = 20 May UTC; a period of 0 months.
    "newsletter": Worked(
        load_subscribers,
        UNSUBSCRIBED,
        0,
        _has(newsletter_subscription, newsletter_subscription.c.email == LEAVER),
        date(2026, 5, 20),
        date(2026, 5, 21),
    ),
    "contact message": Worked(
        load_messages,
        LAST_EXCHANGE,
        18,
        _has(contact_message, contact_message.c.last_exchange_at == instant(LAST_EXCHANGE)),
        date(2026, 2, 28),
        date(2026, 3, 1),
    ),
}


@pytest.mark.parametrize("name", list(WORKED))
def test_worked_examples(engine: Engine, name: str) -> None:
    worked = WORKED[name]
    edge = boundary(worked.clock, worked.months)
    assert (edge.last_kept, edge.first_gone) == (worked.last_kept, worked.first_gone)
    worked.load(engine)
    if name == "commercial contact":
        run_sweep(engine, date(2025, 9, 16))  # the day Lou's account expires
    assert worked.present(engine)
    run_sweep(engine, worked.last_kept)
    assert worked.present(engine), f"{name}: swept on {worked.last_kept}, its last day"
    run_sweep(engine, worked.first_gone)
    assert not worked.present(engine), f"{name}: still there on {worked.first_gone}"
