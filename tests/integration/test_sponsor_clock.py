"""``sponsor.retention_clock``: the import keeps it equal to the latest contract end, or the
creation day of a sponsor without contracts, including when a contract changes sponsor."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, select

from gardien.store.tables import sponsor
from tests.support.retention_samples import contract_doc, document, load


def _sponsor(ref: str) -> dict[str, Any]:
    return {"ref": ref, "kind": "organisation", "name": f"Entreprise {ref}", "contacts": []}


def _clocks(engine: Engine) -> dict[str, date | None]:
    with engine.connect() as connection:
        rows = connection.execute(select(sponsor.c.ref, sponsor.c.retention_clock))
        return {ref: clock for ref, clock in rows}


def test_the_clock_follows_the_contracts_through_imports(engine: Engine) -> None:
    # Created at 23:30 UTC on 9 March 2023: the clock counts that UTC day.
    created = datetime(2023, 3, 9, 23, 30, tzinfo=UTC)
    load(engine, document(sponsors=[_sponsor("ORG-A"), _sponsor("ORG-B")]), imported_at=created)
    assert _clocks(engine) == {"ORG-A": date(2023, 3, 9), "ORG-B": date(2023, 3, 9)}

    two = [
        contract_doc("CT-1", "employer_plan", "2024-01-31", sponsor="ORG-A"),
        contract_doc("CT-2", "employer_plan", "2024-06-30", sponsor="ORG-A"),
    ]
    load(engine, document(contracts=two))
    assert _clocks(engine) == {"ORG-A": date(2024, 6, 30), "ORG-B": date(2023, 3, 9)}

    # CT-2 moves to ORG-B and is extended: both clocks change.
    moved = contract_doc("CT-2", "employer_plan", "2025-05-31", sponsor="ORG-B")
    load(engine, document(contracts=[moved]))
    assert _clocks(engine) == {"ORG-A": date(2024, 1, 31), "ORG-B": date(2025, 5, 31)}
