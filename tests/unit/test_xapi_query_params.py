"""The parameters of GET /statements: one statement by id, or a listing with its filters."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

import pytest

from gardien.errors import XapiValidationError
from gardien.web.xapi_query import MAX_LIMIT, ById, Listing, more_url, read_query

SID = "0F5AB1A6-0D6D-4A0E-9A43-4A1A5D0E2C11"


def test_one_statement_by_id_with_format_and_attachments() -> None:
    asked = read_query([("statementId", SID), ("format", "canonical"), ("attachments", "false")])
    assert asked == ById(SID, voided=False, format="canonical", attachments=False)
    voided = read_query([("voidedStatementId", SID)])
    assert voided == ById(SID, voided=True, format="exact", attachments=False)


@pytest.mark.parametrize(
    ("query", "prop"),
    [
        ([("statementId", SID), ("voidedStatementId", SID)], "voidedStatementId"),
        ([("statementId", SID), ("limit", "1")], "limit"),
        ([("voidedStatementId", SID), ("related_agents", "false")], "related_agents"),
        ([("statementId", SID), ("format", "full")], "format"),
        ([("statementId", SID), ("attachments", "yes")], "attachments"),
        ([("statementId", "not-a-uuid")], "statementId"),
        ([("verb", "urn:x:a"), ("verb", "urn:x:b")], "verb"),
        ([("Verb", "urn:x:a")], "Verb"),
        ([("related_activities", "1")], "related_activities"),
        ([("limit", "-1")], "limit"),
        ([("cursor", "forged")], "cursor"),
    ],
)
def test_what_is_refused(query: list[tuple[str, str]], prop: str) -> None:
    with pytest.raises(XapiValidationError) as refused:
        read_query(query)
    assert refused.value.prop == prop


def test_a_listing_with_every_filter() -> None:
    query = [
        ("agent", '{"mbox": "mailto:lea.query@example.org"}'),
        ("verb", "urn:x:attempted"),
        ("activity", "urn:x:quiz"),
        ("registration", SID),
        ("related_activities", "true"),
        ("related_agents", "TRUE"),
        ("since", "2026-01-01T00:00:00Z"),
        ("until", "2026-02-01T00:00:00+01:00"),
        ("limit", "0"),
        ("ascending", "true"),
        ("format", "ids"),
    ]
    asked = read_query(query)
    assert isinstance(asked, Listing)
    assert (asked.format, asked.attachments, asked.params) == ("ids", False, dict(query))
    filters = asked.filters
    assert filters.agent == {"mbox": "mailto:lea.query@example.org"}
    assert (filters.verb, filters.activity, filters.registration) == (
        "urn:x:attempted",
        "urn:x:quiz",
        SID,
    )
    assert filters.related_activities and filters.related_agents and filters.ascending
    assert filters.since == datetime(2026, 1, 1, tzinfo=UTC)
    assert filters.until == datetime(2026, 1, 31, 23, tzinfo=UTC)
    assert filters.limit == MAX_LIMIT


def test_the_more_url_carries_the_query_and_a_cursor_read_back() -> None:
    after = (datetime(2026, 1, 15, 10, tzinfo=UTC), 42)
    url = more_url({"activity": "urn:x:quiz", "format": "ids", "cursor": "old"}, after)
    parts = urlsplit(url)
    assert parts.path == "/xapi/statements"
    params = dict(parse_qsl(parts.query))
    assert params["activity"] == "urn:x:quiz" and params["format"] == "ids"
    asked = read_query(list(params.items()))
    assert isinstance(asked, Listing) and asked.filters.after == after
