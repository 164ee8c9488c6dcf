"""The retention rules of the default policy for learners and what goes with them (an inactive
account, an invoice, an OPCO or CPF dossier, an online payment), swept the day before, the day of
and the day after its end (the last day a record is kept, then the first day it is expired).

The boundary days are computed with the domain's arithmetic; ``test_worked_examples`` (in
``test_sweep_worked_examples``) checks that arithmetic against dates worked out by hand, one per
scenario. Most sweeps go through the service; some through the command line,
``gardien sweep --as-of DATE --json``.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import Engine

from gardien.store.tables import (
    commercial_contact,
    contact_message,
    contract,
    contract_learner,
    cpf_dossier,
    invoice,
    opco_dossier,
)
from tests.integration.conftest import Sweeper
from tests.support.lookup import LOOKUP
from tests.support.retention_samples import (
    KEPT,
    boundary,
    footprints,
    learner_row,
    leftovers,
    only,
    orphans,
    rows,
    rule,
    run_sweep,
    verify,
)
from tests.support.sweep_people import (
    CELIA,
    CELIA_ACTIVE,
    INES,
    INES_ACTIVE,
    INVOICE_YEAR_CLOSE,
    LEA,
    LEA_ACTIVE,
    NOE,
    OSCAR,
    OSCAR_ACTIVE,
    PASSWORD_HASH,
    PAUL,
    PAUL_ACTIVE,
    TRAINING_END,
    load_celia,
    load_ines,
    load_lea,
    load_oscar,
    load_paul,
)

# -- a learner inactive for 18 months -----------------------------------------------------------


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
        "account": 1,
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

    counts = sweeper(boundary(INVOICE_YEAR_CLOSE, 120).day(when))

    if KEPT[when]:
        only(counts)
        assert rows(engine, invoice) == kept
        return
    only(counts, invoices=1)
    assert rows(engine, invoice) == []
    assert leftovers(engine, [INES, "Inès", "Facturée"], pseudonym=ines["pseudonym"]) == []
    assert verify(engine).ok


# -- an OPCO-funded learner ---------------------------------------------------------------------


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
    # Detached, every field of its snapshot as it was, and the keyed lookup of his address
    # (neither the address nor a plain hash of it), by which he still finds it.
    mark = LOOKUP.of(OSCAR)
    assert rows(engine, opco_dossier) == [dossier | {"learner_id": None, "subject_lookup": mark}]
    assert OSCAR not in mark and hashlib.sha256(OSCAR.encode()).hexdigest() not in mark
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
