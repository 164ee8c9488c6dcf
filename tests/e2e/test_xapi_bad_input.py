"""Bad input to the Learning Record Store is a 400 naming the property, never a 500.

Over real HTTP: instants at the edges of the calendar (no UTC equivalent, or none in some time
zone), forged paging cursors, the NUL character (which PostgreSQL cannot store: refused on both
databases alike), and property names holding control characters (escaped in the answer).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from gardien.store.engine import make_engine
from gardien.store.migrate import upgrade
from gardien.store.tables import activity_statement
from tests.support.server import running_server
from tests.support.xapi_samples import HOME, add_client, basic, load_learners, statement

pytestmark = pytest.mark.e2e
OUT_OF_RANGE = "is out of range: an instant must fall between 0001-01-02 and 9999-12-30 (UTC)"
NUL = "must not contain the NUL character (U+0000)"
EDGES = [
    "0001-01-01T00:00:00+14:00",  # year 0 in UTC: no Python datetime (was an OverflowError)
    "9999-12-31T23:59:59-14:00",  # year 10000 in UTC
    "0001-01-01T00:00:00Z",  # fine in UTC, but before the start of year 1 in Paris
    "9999-12-31T23:00:00Z",  # already year 10000 in Paris
]


@contextmanager
def _lrs(url: str) -> Iterator[tuple[str, dict[str, str]]]:
    engine = make_engine(url)
    upgrade(engine)
    load_learners(engine)
    client = add_client(engine)
    engine.dispose()
    with running_server({"GARDIEN_DATABASE_URL": url, "GARDIEN_PUBLIC_URL": HOME}) as base:
        yield f"{base}/xapi/statements", basic(client)


def _stored(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return int(
                connection.execute(
                    select(func.count()).select_from(activity_statement)
                ).scalar_one()
            )
    finally:
        engine.dispose()


def _refused(answer: httpx.Response, prop: str, problem: str) -> None:
    assert answer.status_code == 400, answer.text
    assert answer.json() == {"error": problem, "property": prop}


def test_edge_instants_are_a_400_naming_the_property(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lrs.sqlite3'}"
    with _lrs(url) as (statements, headers):
        for instant in EDGES:
            one = httpx.post(statements, json=statement(timestamp=instant), headers=headers)
            _refused(one, "timestamp", OUT_OF_RANGE)
            batch = [statement(), statement(timestamp=instant)]
            _refused(
                httpx.post(statements, json=batch, headers=headers), "[1].timestamp", OUT_OF_RANGE
            )
            for name in ("since", "until"):
                query = httpx.get(statements, params={name: instant}, headers=headers)
                _refused(query, name, OUT_OF_RANGE)
        # The last instants that can be shown in every time zone are accepted.
        for instant in ("0001-01-02T00:00:00Z", "9999-12-30T23:59:59.999Z"):
            answer = httpx.post(statements, json=statement(timestamp=instant), headers=headers)
            assert answer.status_code == 200, answer.text
            assert (
                httpx.get(statements, params={"since": instant}, headers=headers).status_code == 200
            )
        for forged in ("0001-01-01T00:00:00+14:00|1", "2026-01-01T00:00:00Z|99999999999999999999"):
            cursor = base64.urlsafe_b64encode(forged.encode()).decode()
            answer = httpx.get(statements, params={"cursor": cursor}, headers=headers)
            _refused(answer, "cursor", "not a cursor this server gave")
    assert _stored(url) == 2


def test_nul_is_refused_alike_on_both_databases(database_url: str) -> None:
    with _lrs(database_url) as (statements, headers):
        cases: list[tuple[Any, str]] = [
            (statement(result={"response": "a\x00b"}), "result.response"),
            ([statement(), statement(context={"platform": "\x00"})], "[1].context.platform"),
            (
                statement(context={"extensions": {"https://example.org/x": {"k\x00": 1}}}),
                "context.extensions.https://example.org/x.k\\x00",
            ),
            (
                statement(actor={"account": {"homePage": HOME, "name": "\x00"}}),
                "actor.account.name",
            ),
        ]
        for body, prop in cases:
            _refused(httpx.post(statements, json=body, headers=headers), prop, NUL)
        put = httpx.put(
            statements, params={"statementId": "\x00"}, json=statement(), headers=headers
        )
        _refused(put, "statementId", NUL)
        queries: list[tuple[dict[str, str], str, str]] = [
            ({"verb": "http://adlnet.gov/expapi/verbs/\x00"}, "verb", NUL),
            ({"activity": "https://example.org/\x00"}, "activity", NUL),
            ({"registration": "\x00"}, "registration", NUL),
            ({"statementId": "\x00"}, "statementId", NUL),
            ({"statementId": "not-a-uuid"}, "statementId", "must be a UUID"),
            ({"verb": "attempted"}, "verb", "must be an IRI"),
            (
                {"agent": json.dumps({"account": {"homePage": HOME, "name": "\x00"}})},
                "agent.account.name",
                NUL,
            ),
        ]
        for params, prop, problem in queries:
            _refused(httpx.get(statements, params=params, headers=headers), prop, problem)
        assert httpx.post(statements, json=statement(), headers=headers).status_code == 200
    assert _stored(database_url) == 1, "only the good statement is stored"


def test_control_characters_in_a_property_name_are_escaped_in_the_answer(
    tmp_path: Path,
) -> None:
    with _lrs(f"sqlite:///{tmp_path / 'lrs.sqlite3'}") as (statements, headers):
        forged = "verb\r\nX-Injected: 1\x1b[2J"
        answer = httpx.post(statements, json={**statement(), forged: 1}, headers=headers)
        _refused(answer, "verb\\r\\nX-Injected: 1\\x1b[2J", "is not a property of a statement")
        tag = "fr\u2028\u202e"
        named = statement(verb="attempted")
        named["verb"]["display"] = {tag: "essayé"}
        answer = httpx.post(statements, json=named, headers=headers)
        assert answer.status_code == 400
        assert answer.json()["property"] == "verb.display.fr\\u2028\\u202e"
