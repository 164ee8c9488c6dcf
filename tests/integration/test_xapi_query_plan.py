"""GET /statements by agent reads what the agent holds, not the table (docs/scaling.md).

One learner's statements are the oldest of a table of many more by someone else, so a walk
through stored order (the query before this test) would read every newer row before finding
them. The page must be the right one, and its plan must reach the rows by index: on
PostgreSQL, ``EXPLAIN ANALYZE`` counts the rows of ``activity_statement`` the query read; on
SQLite, ``EXPLAIN QUERY PLAN`` must show no scan of that table.

A table of a few thousand small rows is one PostgreSQL reads whole faster than by index, so
its planner rightly reads it whole: ``enable_seqscan = off`` stands in for the gigabytes of a
real table. It leaves the walk through stored order (an index scan) open, so the count of rows
read is what tells the two apart (the walk reads the 12,000 newer rows first).

And the indexed form finds what the walk through stored order (which still serves filters no
index answers) finds, page after page, either way, within ``since`` and ``until``, voided
statement left out and the statements referring to it kept.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, insert, text, update

from gardien.store import xapi as store
from gardien.store import xapi_query
from gardien.store.tables import activity_statement
from tests.support.xapi_samples import MODULES, VERBS, email, load_learners

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
OWN = 150  # lea's statements, the oldest of the table
OTHERS = 12_000  # noe's, stored after them
PAGE = 100


def _row(learner_id: int, n: int, object_id: str) -> dict[str, Any]:
    statement_id = str(uuid.uuid4())
    at = START + timedelta(seconds=n)
    return {
        "statement_id": statement_id,
        "learner_id": learner_id,
        "verb": f"{VERBS}attempted",
        "object_id": object_id,
        "timestamp": at,
        "stored_at": at,
        "raw": {"id": statement_id, "object": {"id": object_id}},
        "voided": False,
    }


@pytest.fixture
def table(engine: Engine) -> tuple[int, list[str]]:
    """lea's learner id, and the ids of the page by her that the query must return (newest
    first): noe's three comments on her statements by StatementRef, in upper case as a client
    may write them, then her 97 newest."""
    load_learners(engine)
    with engine.begin() as connection:
        [lea, noe] = store.learners_by(connection, emails=[email("lea"), email("noe")])
        own = [_row(lea.id, n, MODULES["M1"]) for n in range(OWN)]
        others = [_row(noe.id, OWN + n, MODULES["M2"]) for n in range(OTHERS)]
        comments = [
            _row(noe.id, OWN + OTHERS + n, own[-1 - n]["statement_id"].upper()) for n in range(3)
        ]
        connection.execute(insert(activity_statement), [*own, *others, *comments])
        if connection.dialect.name == "postgresql":
            connection.execute(text("ANALYZE activity_statement"))
    expected = [row["statement_id"] for row in reversed(comments)]
    expected += [row["statement_id"] for row in reversed(own)][: PAGE - len(comments)]
    return lea.id, expected


def _page(lea_id: int) -> xapi_query.StatementQuery:
    agent = xapi_query.AgentFilter(names=("pseudonym-of-lea",), learner_id=lea_id)
    return xapi_query.StatementQuery(agent=agent, limit=PAGE)


def test_the_page_by_agent_is_found_by_index(engine: Engine, table: tuple[int, list[str]]) -> None:
    lea_id, expected = table
    query = _page(lea_id)
    with engine.begin() as connection:
        found, more = xapi_query.query_statements(connection, query)
        assert [item["id"] for item in found] == expected
        assert more is not None
        page = xapi_query.statements_page(query, connection.dialect.name)
        assert page is not None
        sql = str(page.compile(connection.engine, compile_kwargs={"literal_binds": True}))
        if connection.dialect.name == "postgresql":
            read = _rows_read(connection, sql)
            # lea's 150 and the comments, a few times over (by learner, then by id): not the
            # 12,000 of noe's that a walk through stored order reads first.
            assert 0 < read < 2_000, read
        else:
            plan = [row.detail for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")]
            scans = [step for step in plan if step.startswith("SCAN activity_statement")]
            assert scans == [], plan
            assert any("ix_activity_statement_statement_ref" in step for step in plan), plan


def _rows_read(connection: Connection, sql: str) -> int:
    """Rows of ``activity_statement`` the query's plan read, by ``EXPLAIN ANALYZE``: those it
    kept and those its filters removed, in every loop."""
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    [[plan]] = connection.exec_driver_sql(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}").all()
    total = 0
    nodes = [plan[0]["Plan"]]
    while nodes:
        node = nodes.pop()
        nodes.extend(node.get("Plans", []))
        if node.get("Relation Name") == "activity_statement":
            assert node["Node Type"] != "Seq Scan", node
            kept_and_removed = (
                node["Actual Rows"]
                + node.get("Rows Removed by Filter", 0)
                + node.get("Rows Removed by Index Recheck", 0)
            )
            total += kept_and_removed * node["Actual Loops"]
    return total


def _all_pages(engine: Engine, query: xapi_query.StatementQuery) -> list[str]:
    found: list[str] = []
    with engine.begin() as connection:
        while True:
            page, after = xapi_query.query_statements(connection, query)
            found += [item["id"] for item in page]
            if after is None:
                return found
            query = replace(query, after=after)


def test_the_indexed_form_finds_what_the_walk_through_stored_order_finds(
    engine: Engine, table: tuple[int, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    lea_id, expected = table
    voided = expected[3]  # lea's newest: the first comment targets it
    with engine.begin() as connection:
        connection.execute(
            update(activity_statement)
            .where(activity_statement.c.statement_id == voided)
            .values(voided=True)
        )
    agent = xapi_query.AgentFilter(names=("pseudonym-of-lea",), learner_id=lea_id)
    window = {"since": START + timedelta(seconds=20), "until": START + timedelta(seconds=140)}
    queries = [
        xapi_query.StatementQuery(agent=agent, limit=40),
        xapi_query.StatementQuery(agent=agent, limit=40, ascending=True),
        xapi_query.StatementQuery(agent=agent, limit=25, **window),
        xapi_query.StatementQuery(agent=agent, limit=25, ascending=True, **window),
        # noe's are on M2; the comments match as their targets, lea's, on M1.
        xapi_query.StatementQuery(
            agent=agent, limit=60, verb=f"{VERBS}attempted", activity=MODULES["M1"]
        ),
        xapi_query.StatementQuery(agent=agent, activity=MODULES["M2"]),
    ]
    indexed = [_all_pages(engine, query) for query in queries]
    monkeypatch.setattr(xapi_query, "_indexed", lambda query: False)
    walked = [_all_pages(engine, query) for query in queries]
    assert indexed == walked
    newest_first, oldest_first, window_newest, window_oldest, on_m1, on_m2 = indexed
    # The comments on lea's statements by StatementRef (noe's), lea's less the voided one.
    assert len(newest_first) == OWN - 1 + 3 and voided not in newest_first
    assert newest_first[:3] == expected[:3] and oldest_first == newest_first[::-1]
    assert len(window_newest) == 120 and window_oldest == window_newest[::-1]
    assert on_m1 == newest_first and on_m2 == []
