"""Invoices are kept 120 months from the close of the financial year they were issued in.

The accounting duty (Code de commerce, art. L123-22) runs from the close of the financial year,
not from the invoice's date: with a year ending 31 December, an invoice of 15 June 2016 or of
29 February 2016 is kept through 31 December 2026 and swept on 1 January 2027 (counted from
its date, it went six or ten months too early). Each test goes through the real sweep,
forecast, export or erasure, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine

from gardien.domain.clock import FixedClock
from gardien.policy import Policy
from gardien.services.erasure import erase_subject
from gardien.services.forecast import forecast
from gardien.services.subject_export import export_subject
from gardien.services.sweep import sweep
from gardien.store.tables import invoice
from gardien.store.uow import UnitOfWork
from tests.integration.conftest import Sweeper
from tests.support.lookup import LOOKUP
from tests.support.retention_samples import (
    KEPT,
    default_policy,
    document,
    invoice_doc,
    load,
    only,
    rows,
)

CLIENT = "alex.facture@example.org"
# Mid-year, and the 29 February: both in the year closing 31 December 2016.
ISSUED = ["2016-06-15", "2016-02-29"]
# Worked out by hand: the close, 31 December 2016, + 120 months.
LAST_KEPT = date(2026, 12, 31)
AROUND_THE_END = {
    "day before": date(2026, 12, 30),
    "day of": LAST_KEPT,
    "day after": date(2027, 1, 1),
}


def june_policy() -> Policy:
    """The default policy for a company whose financial year ends on 30 June."""
    policy = default_policy()
    controller = policy.controller.model_copy(update={"financial_year_end": "06-30"})
    return policy.model_copy(update={"controller": controller})


def load_invoices(engine: Engine, *issued: str) -> None:
    """One invoice per issue date, numbered ``FA-<date>``, billed to :data:`CLIENT`."""
    invoices = [invoice_doc(f"FA-{day}", day, name="Alex Facturé", email=CLIENT) for day in issued]
    load(engine, document(invoices=invoices))


def numbers(engine: Engine) -> list[str]:
    return sorted(str(row["number"]) for row in rows(engine, invoice))


def sweep_on(engine: Engine, day: date, policy: Policy) -> int:
    """Sweep as of ``day``; how many invoices it deleted."""
    report = sweep(engine, policy=policy, clock=FixedClock.on(day), lookup=LOOKUP)
    (invoices,) = [rule for rule in report.rules if rule.rule == "invoices"]
    return invoices.expired


# -- the sweep ----------------------------------------------------------------------------------


@pytest.mark.parametrize("issued", ISSUED)
def test_the_invoice_is_kept_through_the_last_day_and_swept_the_day_after(
    engine: Engine, sweeper: Sweeper, when: str, issued: str
) -> None:
    load_invoices(engine, issued)
    kept = rows(engine, invoice)

    counts = sweeper(AROUND_THE_END[when])

    if KEPT[when]:
        only(counts)
        assert rows(engine, invoice) == kept
    else:
        only(counts, invoices=1)
        assert rows(engine, invoice) == []


@pytest.mark.parametrize(
    ("issued", "too_early"), [("2016-06-15", date(2026, 6, 16)), ("2016-02-29", date(2026, 3, 1))]
)
def test_the_invoice_outlives_the_day_its_issue_date_would_have_ended_it(
    engine: Engine, issued: str, too_early: date
) -> None:
    # ``too_early``: the first day after 120 months counted from the issue date.
    load_invoices(engine, issued)
    for day in (too_early, date(2026, 12, 1)):
        assert sweep_on(engine, day, default_policy()) == 0, day
    assert numbers(engine) == [f"FA-{issued}"]


def test_a_year_ending_in_june_sweeps_each_year_on_1_july(engine: Engine) -> None:
    # 29 February and 30 June 2016 belong to the year closing 30 June 2016 (kept through
    # 30 June 2026); 1 July 2016 opens the year closing 30 June 2017 (kept through 2027).
    load_invoices(engine, "2016-02-29", "2016-06-30", "2016-07-01")
    june = june_policy()

    assert sweep_on(engine, date(2026, 6, 30), june) == 0
    assert sweep_on(engine, date(2026, 7, 1), june) == 2
    assert numbers(engine) == ["FA-2016-07-01"]
    assert sweep_on(engine, date(2027, 6, 30), june) == 0
    assert sweep_on(engine, date(2027, 7, 1), june) == 1
    assert numbers(engine) == []


# -- the forecast -------------------------------------------------------------------------------


def invoice_months(engine: Engine, policy: Policy, as_of: date, until: date) -> dict[str, Any]:
    result = forecast(engine, policy=policy, clock=FixedClock.on(as_of), until=until)
    (invoices,) = [rule for rule in result.rules if rule.rule == "invoices"]
    assert invoices.clock == "financial_year_close"
    return {
        "overdue": invoices.overdue,
        **{month.window.month: month.records for month in invoices.months},
    }


def test_the_forecast_puts_a_year_of_invoices_in_the_january_ten_years_on(engine: Engine) -> None:
    load_invoices(engine, "2015-12-31", *ISSUED, "2016-12-31", "2017-01-01")
    months = invoice_months(engine, default_policy(), date(2026, 11, 15), date(2027, 2, 28))
    assert months == {"overdue": 1, "2026-11": 0, "2026-12": 0, "2027-01": 3, "2027-02": 0}
    # The sweep agrees, day for day.
    assert sweep_on(engine, date(2026, 11, 15), default_policy()) == 1
    assert sweep_on(engine, LAST_KEPT, default_policy()) == 0
    assert sweep_on(engine, date(2027, 1, 1), default_policy()) == 3
    assert numbers(engine) == ["FA-2017-01-01"]


def test_the_forecast_follows_the_policy_year_end(engine: Engine) -> None:
    load_invoices(engine, "2016-02-29", "2016-06-30", "2016-07-01")
    months = invoice_months(engine, june_policy(), date(2026, 5, 15), date(2026, 8, 31))
    assert months == {"overdue": 0, "2026-05": 0, "2026-06": 0, "2026-07": 2, "2026-08": 0}


# -- the subject export -------------------------------------------------------------------------


def exported_invoice(engine: Engine, policy: Policy, as_of: date) -> dict[str, Any]:
    result = export_subject(
        CLIENT, uow=UnitOfWork(engine), policy=policy, clock=FixedClock.on(as_of), lookup=LOOKUP
    )
    section = next(c for c in result["categories"] if c["category"] == "billing")
    (record,) = section["records"]
    retention: dict[str, Any] = record["retention"]
    return retention


@pytest.mark.parametrize("issued", ISSUED)
def test_the_export_tells_the_end_of_the_financial_year_period(engine: Engine, issued: str) -> None:
    load_invoices(engine, issued)
    last_day = exported_invoice(engine, default_policy(), LAST_KEPT)
    assert (last_day["rule"], last_day["clock_value"]) == ("invoices", "2016-12-31")
    assert (last_day["ends_on"], last_day["status"]) == ("2026-12-31", "running")
    after = exported_invoice(engine, default_policy(), date(2027, 1, 1))
    assert (after["ends_on"], after["status"]) == ("2026-12-31", "expired")


def test_the_export_follows_the_policy_year_end(engine: Engine) -> None:
    load_invoices(engine, "2016-07-01")
    retention = exported_invoice(engine, june_policy(), date(2026, 7, 1))
    assert (retention["clock_value"], retention["ends_on"]) == ("2017-06-30", "2027-06-30")
    assert retention["status"] == "running"


# -- erasure on request -------------------------------------------------------------------------


@pytest.mark.parametrize("issued", ISSUED)
@pytest.mark.parametrize(("as_of", "held"), [(LAST_KEPT, True), (date(2027, 1, 1), False)])
def test_erasure_keeps_the_invoice_until_the_end_of_its_period(
    engine: Engine, issued: str, as_of: date, held: bool
) -> None:
    load_invoices(engine, issued)

    result = erase_subject(
        CLIENT,
        uow=UnitOfWork(engine, write=True),
        policy=default_policy(),
        clock=FixedClock.on(as_of),
        lookup=LOOKUP,
    )

    if held:
        assert [(k.record, k.key, k.until) for k in result.kept] == [
            ("invoice", f"FA-{issued}", LAST_KEPT)
        ]
        assert numbers(engine) == [f"FA-{issued}"]
    else:
        assert result.kept == []
        assert result.erased == {"invoice": 1}
        assert numbers(engine) == []
