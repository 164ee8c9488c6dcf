"""The retention rules of the default policy for sponsors, their contacts and the commercial
contact kept of a former learner, swept the day before, the day of and the day after its end (the
last day a record is kept, then the first day it is expired).

The boundary days are computed with the domain's arithmetic; ``test_worked_examples`` (in
``test_sweep_worked_examples``) checks that arithmetic against dates worked out by hand, one per
scenario. Most sweeps go through the service; some through the command line,
``gardien sweep --as-of DATE --json``.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Engine

from gardien.store.retention.records import ANONYMISED_NAME
from gardien.store.tables import commercial_contact, contract, sponsor, sponsor_contact
from tests.integration.conftest import Sweeper
from tests.support.lookup import LOOKUP
from tests.support.retention_samples import (
    KEPT,
    boundary,
    contract_doc,
    document,
    instant,
    learner_doc,
    learner_row,
    leftovers,
    load,
    only,
    rows,
    rule,
    run_sweep,
)
from tests.support.sweep_people import (
    CLAUDE,
    DOMINIQUE,
    LAST_CONTRACT_END,
    LEA_ACTIVE,
    LOU,
    LOU_ACTIVE,
    NEUF_CREATED,
    SACHA,
    SCIERIE,
    load_claude,
    load_lou,
    load_scierie,
)

# -- a sponsor's contact ------------------------------------------------------------------------


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
        # How the person finds it again, whatever becomes of the address (subject-lookup.md).
        "subject_lookup": LOOKUP.of(LOU),
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
