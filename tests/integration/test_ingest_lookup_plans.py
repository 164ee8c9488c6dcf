"""The look-ups every batch of statements makes (store/xapi.py, through ``Bulk.fetch``) reach
their rows by index, on SQLite and PostgreSQL: with a list passed as one parameter
(``json_each``, ``= ANY``), a plan that read the whole table would still give the right rows,
and only the millionth learner would show it.

Each look-up runs as ingest runs it; the SQL and parameters the driver received are then
explained. On SQLite ``EXPLAIN QUERY PLAN`` must show no scan of the table; on PostgreSQL,
``enable_seqscan = off`` stands in for a table too large to read whole (docs/scaling.md), and
the plan must read it by index alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, insert

from gardien.store import xapi as store
from gardien.store.bulk import Bulk
from gardien.store.tables import learning_module, learning_path
from gardien.store.uow import UnitOfWork
from tests.support.xapi_samples import email, load_learners

Run = tuple[str, list[Any]]
MODULE = "https://learning.example.org/modules/1"


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Run]]:
    """The SQL and parameters of every ``Bulk.fetch``, as the driver received them."""
    seen: list[Run] = []
    fetch = Bulk.fetch

    def recorded(self: Bulk, sql: str, params: Any) -> list[tuple[Any, ...]]:
        seen.append((sql, list(params)))
        return fetch(self, sql, params)

    monkeypatch.setattr(Bulk, "fetch", recorded)
    yield seen


def _tables_read_whole(connection: Connection, sql: str, params: list[Any]) -> list[str]:
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        if connection.dialect.name == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            details = [row[3] for row in cursor.fetchall()]
            assert details, sql
            return [d for d in details if d.startswith("SCAN") and "json_each" not in d]
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        [[plan]] = cursor.fetchall()
    finally:
        cursor.close()
    whole, nodes = [], [plan[0]["Plan"]]
    while nodes:
        node = nodes.pop()
        nodes.extend(node.get("Plans", []))
        if node["Node Type"] == "Seq Scan":
            whole.append(node["Relation Name"])
    return whole


def test_every_look_up_of_a_batch_reads_by_index(engine: Engine, runs: list[Run]) -> None:
    load_learners(engine)
    with engine.begin() as connection:
        path = connection.execute(
            insert(learning_path).values(code="P1", title="Parcours").returning(learning_path.c.id)
        ).scalar_one()
        connection.execute(
            insert(learning_module).values(
                path_id=path,
                code="M1",
                title="Module",
                position=1,
                activity_id=MODULE,
            )
        )
        [lea] = store.learners_by(connection, emails=[email("lea")])
    outcome = store.ModuleOutcome(
        learner_id=lea.id,
        activity_id=MODULE,
        status="passed",
        score_scaled=None,
        at=datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
    )
    runs.clear()
    with UnitOfWork(engine, write=True) as uow:
        connection = uow.connection
        store.learners_by(
            connection,
            emails=[email("lea"), email("noe")],
            sha1sums=["0" * 40],
            pseudonyms=["00000000-0000-4000-8000-000000000000"],
        )
        store.present_learners(connection, [lea.id, lea.id + 1])
        store.stored_raw(connection, ["00000000-0000-4000-8000-000000000001"])
        store.record_progress(connection, [outcome])
        looked_up = {sql.split(" FROM ")[1].split()[0] for sql, _ in runs}
        assert looked_up == {"learner", "activity_statement", "learning_module"}, runs
        assert len(runs) == 4, runs
        for sql, params in runs:
            assert _tables_read_whole(connection, sql, params) == [], sql
