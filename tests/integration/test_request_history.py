"""The history of closed requests: filters, search by reference or whole address, pages.

Each reading is audited by what it searched *by*, never with the address searched.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, select

from gardien.errors import InvalidInputError
from gardien.services.request_history import HistoryQuery, closed_requests
from gardien.services.requests import record_request
from gardien.store.tables import audit_entry
from gardien.store.uow import UnitOfWork
from tests.support.subject_samples import closed_request

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
DPO = "dpo:3"


def _closed(engine: Engine, email: str, kind: str, status: str, closed: datetime) -> str:
    return closed_request(engine, email, kind, status, closed, received_days_before=7)


@pytest.fixture
def references(engine: Engine) -> dict[str, str]:
    made = {
        "ana-access": _closed(
            engine, "ana@example.org", "access", "completed", datetime(2026, 3, 2, 9, tzinfo=UTC)
        ),
        "ana-erasure": _closed(
            engine, "ana@example.org", "erasure", "refused", datetime(2026, 4, 15, 9, tzinfo=UTC)
        ),
        "bob-access": _closed(
            engine, "bob@example.org", "access", "completed", datetime(2026, 4, 30, 23, tzinfo=UTC)
        ),
        "cleo-objection": _closed(
            engine, "cleo@example.org", "objection", "completed", datetime(2026, 5, 1, tzinfo=UTC)
        ),
    }
    with engine.begin() as connection:
        made["open"] = record_request(
            connection,
            now=NOW,
            email="ana@example.org",
            kind="access",
            identity_check="email_link",
            actor="web",
        ).reference
    return made


def _found(engine: Engine, **query: Any) -> list[str]:
    page = closed_requests(
        UnitOfWork(engine, write=True), HistoryQuery(**query), actor=DPO, now=NOW
    )
    return [item.reference for item in page.items]


def test_closed_requests_newest_closed_first_without_the_open_one(
    engine: Engine, references: dict[str, str]
) -> None:
    assert _found(engine) == [
        references[name] for name in ("cleo-objection", "bob-access", "ana-erasure", "ana-access")
    ]


def test_filters_by_kind_outcome_and_closing_days(
    engine: Engine, references: dict[str, str]
) -> None:
    assert _found(engine, kind="access") == [references["bob-access"], references["ana-access"]]
    assert _found(engine, status="refused") == [references["ana-erasure"]]
    # Both ends are whole UTC days: 30 April 23:00 is in, 1 May 00:00 is out.
    april = _found(engine, closed_from=date(2026, 4, 1), closed_to=date(2026, 4, 30))
    assert april == [references["bob-access"], references["ana-erasure"]]
    assert _found(engine, closed_from=date(2026, 5, 1)) == [references["cleo-objection"]]
    assert _found(engine, kind="access", closed_to=date(2026, 3, 2)) == [references["ana-access"]]


def test_search_by_reference_or_whole_address(engine: Engine, references: dict[str, str]) -> None:
    reference = references["bob-access"]
    assert _found(engine, search=f"  {reference.lower()} ") == [reference]
    assert _found(engine, search=" Ana@Example.org ") == [
        references["ana-erasure"],
        references["ana-access"],
    ]
    assert _found(engine, search="ana@example.org", status="completed") == [
        references["ana-access"]
    ]
    # A whole address only: a fragment is refused, an unknown address finds nothing.
    for fragment in ("ana", "@example.org", "DSR-ABC"):
        with pytest.raises(InvalidInputError) as refused:
            HistoryQuery(search=fragment)
        assert refused.value.field == "search"
    assert _found(engine, search="ana@example.com") == []
    # An open request is not history.
    assert _found(engine, search=references["open"]) == []


def test_pages(engine: Engine, references: dict[str, str]) -> None:
    first = closed_requests(
        UnitOfWork(engine, write=True), HistoryQuery(), actor=DPO, now=NOW, page_size=3
    )
    assert (first.total, first.pages, first.has_previous, first.has_next) == (4, 2, False, True)
    second = closed_requests(
        UnitOfWork(engine, write=True), HistoryQuery(page=2), actor=DPO, now=NOW, page_size=3
    )
    assert [item.reference for item in second.items] == [references["ana-access"]]
    assert (second.has_previous, second.has_next) == (True, False)
    beyond = closed_requests(
        UnitOfWork(engine, write=True), HistoryQuery(page=9), actor=DPO, now=NOW, page_size=3
    )
    assert beyond.items == [] and beyond.total == 4


def test_a_bad_query_is_refused_field_by_field() -> None:
    for query, field in (
        ({"kind": "teleportation"}, "kind"),
        ({"status": "open"}, "status"),
        ({"closed_from": date(2026, 5, 2), "closed_to": date(2026, 5, 1)}, "closed_to"),
        ({"page": 0}, "page"),
    ):
        with pytest.raises(InvalidInputError) as refused:
            HistoryQuery(**query)  # type: ignore[arg-type]
        assert refused.value.field == field


def test_each_reading_is_audited_without_the_address(
    engine: Engine, references: dict[str, str]
) -> None:
    _found(engine, search="ana@example.org")
    _found(engine, search=references["ana-access"])
    _found(engine)
    with engine.connect() as connection:
        entries = list(
            connection.execute(
                select(audit_entry)
                .where(audit_entry.c.action == "console.history_viewed")
                .order_by(audit_entry.c.id)
            )
        )
    assert [entry.details["by"] for entry in entries] == ["address", "reference", None]
    assert [entry.details["count"] for entry in entries] == [2, 1, 4]
    assert all(entry.actor == DPO for entry in entries)
    assert all("@" not in json.dumps(entry.details) for entry in entries)
    assert all("example" not in json.dumps(entry.details) for entry in entries)
