"""The arithmetic of the sweep scenarios, worked out by hand.

The scenarios (``test_sweep_learners``, ``test_sweep_sponsors``, ``test_sweep_website``) compute
their boundary days with the domain's arithmetic; ``test_worked_examples`` checks that arithmetic
against dates worked out by hand, one per scenario, then sweeps on each of the two days.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine

from gardien.store.tables import (
    commercial_contact,
    contact_message,
    cpf_dossier,
    invoice,
    learner,
    newsletter_subscription,
    opco_dossier,
    sponsor,
    sponsor_contact,
)
from tests.support.retention_samples import (
    boundary,
    default_policy,
    document,
    instant,
    load,
    rows,
    run_sweep,
)
from tests.support.sweep_people import (
    CELIA_ACTIVE,
    INVOICE_ISSUED,
    INVOICE_YEAR_CLOSE,
    LAST_CONTRACT_END,
    LAST_EXCHANGE,
    LEA,
    LEA_ACTIVE,
    LEAVER,
    LOU,
    NEUF_CREATED,
    PAUL,
    PAUL_ACTIVE,
    TRAINING_END,
    UNSUBSCRIBED,
    load_celia,
    load_claude,
    load_ines,
    load_lea,
    load_lou,
    load_messages,
    load_oscar,
    load_paul,
    load_scierie,
    load_subscribers,
)

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
    # Issued 29 February 2024, in the financial year closing 31 December 2024: 120 months
    # from that close (not from 29 February, which would end on 28 February 2034).
    "invoice": Worked(
        load_ines, INVOICE_YEAR_CLOSE, 120, _has(invoice), date(2034, 12, 31), date(2035, 1, 1)
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
    if name == "invoice":
        issued = date.fromisoformat(INVOICE_ISSUED)
        assert default_policy().financial_year.close_of(issued).isoformat() == worked.clock
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
